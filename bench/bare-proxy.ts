/**
 * The baseline the gateway is measured against: the least a Node TLS proxy does (terminate TLS,
 * forward over a keep-alive TLS pool, stream the answer back), with no authentication, policy,
 * logging or recording. Run as a child process by bench/proxy-overhead.ts; prints `listening`.
 *
 * Usage: node bench/bare-proxy.ts <port> <upstream port> <tls dir (tls.crt, tls.key)> <upstream CA file>
 */
import { readFileSync } from 'node:fs';
import { Agent, createServer, request } from 'node:https';
import { join } from 'node:path';

const [port, upstreamPort, tlsDir, caFile] = process.argv.slice(2) as [string, string, string, string];
const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY, ca: readFileSync(caFile) });
const tls = { cert: readFileSync(join(tlsDir, 'tls.crt')), key: readFileSync(join(tlsDir, 'tls.key')) };
createServer(tls, (req, res) => {
  const headers = { ...req.headers, host: `127.0.0.1:${upstreamPort}` };
  const upstream = request(
    { host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers, agent },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on('error', () => res.destroy());
  req.pipe(upstream);
}).listen(Number(port), '127.0.0.1', () => process.stdout.write('listening\n'));
process.once('SIGTERM', () => process.exit(0));
