/**
 * The floor for holding calls: a Node HTTPS server that answers nothing, so every request it
 * receives stays open. What holding a call costs any Node TLS server (the connection, its request
 * and response objects), with nothing of the gateway's own. Run as a child process by
 * bench/approvals.ts; prints `listening`, then `held <n>` whenever the number of held requests
 * reaches a multiple of 100.
 *
 * Usage: node bench/bare-holder.ts <port> <tls dir (tls.crt, tls.key)>
 */
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import { join } from 'node:path';

const [port, tlsDir] = process.argv.slice(2) as [string, string];
const tls = { cert: readFileSync(join(tlsDir, 'tls.crt')), key: readFileSync(join(tlsDir, 'tls.key')) };
const held = new Set<ServerResponse>();
createServer(tls, (_req, res) => {
  held.add(res);
  res.once('close', () => held.delete(res));
  if (held.size % 100 === 0) process.stdout.write(`held ${held.size}\n`);
}).listen(Number(port), '127.0.0.1', () => process.stdout.write('listening\n'));
process.once('SIGTERM', () => process.exit(0));
