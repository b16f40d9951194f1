/**
 * The floor for holding calls: a Node HTTPS server that answers nothing, so every request it
 * receives stays open. What holding a call costs any Node TLS server (the connection, its request
 * and response objects), with nothing of the gateway's own. Run as a child process by
 * bench/approvals.ts; prints `listening`, then `held <n>` whenever the number of held requests
 * reaches a multiple of 100.
 *
 * With `watch` it is the floor for idle watches instead (bench/watches.ts): it serves HTTP/2 and
 * HTTP/1.1 as the gateway does (one secure HTTP/2 server that allows HTTP/1.1), sends each
 * request's response head at once and then holds the body open, as a watch with no events.
 *
 * It does what any Node server can do about memory, as the gateway does: Node's free list of
 * HTTP/1.1 parsers capped (gateway/ops/http-parser-pool.ts), and one full collection after a burst
 * of calls has arrived or ended (gateway/ops/idle-collector.ts). So its figures are what the held
 * connections take, not what their arrival left in its heap or what Node kept for reuse.
 *
 * Usage: node bench/bare-holder.ts <port> <tls dir (tls.crt, tls.key)> [watch]
 */
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { createSecureServer, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import { createServer } from 'node:https';
import { join } from 'node:path';
import { capHttpParserPool } from '../gateway/ops/http-parser-pool.ts';
import { collectAfterBursts, IDLE_COLLECTOR_DEFAULTS } from '../gateway/ops/idle-collector.ts';

const [port, tlsDir, mode] = process.argv.slice(2) as [string, string, string | undefined];
const tls = { cert: readFileSync(join(tlsDir, 'tls.crt')), key: readFileSync(join(tlsDir, 'tls.key')) };
const held = new Set<ServerResponse | Http2ServerResponse>();
capHttpParserPool();
// Every held call is long-lived, as the gateway counts them (held for seconds, not milliseconds).
const collector = collectAfterBursts({ ...IDLE_COLLECTOR_DEFAULTS, openLongLived: () => held.size });

function hold(res: ServerResponse | Http2ServerResponse): void {
  held.add(res);
  res.once('close', () => {
    held.delete(res);
    collector.ended();
  });
  if (held.size % 100 === 0) process.stdout.write(`held ${held.size}\n`);
}

/** Typed as HTTP/2's; an HTTP/1.1 request comes with Node's HTTP/1.1 objects, which answer the same calls. */
function watch(_req: Http2ServerRequest, res: Http2ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  // The head goes out now, not with the first event (Node holds it back until a body write).
  res.write('');
  hold(res);
}

const server =
  mode === 'watch'
    ? createSecureServer({ ...tls, allowHTTP1: true }, watch)
    : createServer(tls, (_req, res) => hold(res));
server.listen(Number(port), '127.0.0.1', () => process.stdout.write('listening\n'));
process.once('SIGTERM', () => process.exit(0));
