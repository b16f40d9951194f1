/**
 * The baseline the gateway is measured against: the least a Node TLS proxy does (terminate TLS,
 * forward over a keep-alive TLS pool, stream the answer back), with no authentication, policy,
 * logging or recording. Run as a child process by bench/setup.ts; prints `listening`.
 *
 * With `http2` it serves HTTP/2 instead (Node's compatibility API, as the gateway does), so the
 * gateway's HTTP/2 path, which kubectl and client-go use, has a floor of its own: the pseudo-headers
 * and the connection-specific headers HTTP/2 does not carry are dropped on the way through.
 *
 * Usage: node bench/bare-proxy.ts <port> <upstream port> <tls dir (tls.crt, tls.key)> <upstream CA file> [http2]
 */
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { createSecureServer, type Http2ServerRequest } from 'node:http2';
import { Agent, createServer, request } from 'node:https';
import { join } from 'node:path';

const [port, upstreamPort, tlsDir, caFile, protocol] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string | undefined,
];
const http2 = protocol === 'http2';
const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY, ca: readFileSync(caFile) });
const tls = { cert: readFileSync(join(tlsDir, 'tls.crt')), key: readFileSync(join(tlsDir, 'tls.key')) };
const NOT_OVER_HTTP2 = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'proxy-connection',
]);

const isPseudoHeader = (name: string) => name.startsWith(':');
const isConnectionHeader = (name: string) => NOT_OVER_HTTP2.has(name);

/** `headers` without the names `drop` picks. */
function without(headers: IncomingHttpHeaders, drop: (name: string) => boolean): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const name in headers) if (!drop(name)) out[name] = headers[name];
  return out;
}

/** HTTP/2 request headers as HTTP/1.1 ones: no pseudo-headers. */
const requestHeaders = (headers: IncomingHttpHeaders) => (http2 ? without(headers, isPseudoHeader) : headers);

/** HTTP/1.1 response headers as HTTP/2 ones: none of the connection's own. */
const responseHeaders = (headers: IncomingHttpHeaders) =>
  http2 ? without(headers, isConnectionHeader) : headers;

/** What the handler uses of a response, HTTP/1.1 or HTTP/2. */
interface Reply extends NodeJS.WritableStream {
  writeHead(status: number, headers: IncomingHttpHeaders): unknown;
  destroy(): void;
}

function handle(req: IncomingMessage | Http2ServerRequest, res: Reply): void {
  const headers = { ...requestHeaders(req.headers), host: `127.0.0.1:${upstreamPort}` };
  const upstream = request(
    { host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers, agent },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, responseHeaders(answer.headers));
      answer.pipe(res);
    },
  );
  upstream.on('error', () => res.destroy());
  req.pipe(upstream);
}

const server = http2 ? createSecureServer(tls, handle) : createServer(tls, handle);
server.listen(Number(port), '127.0.0.1', () => process.stdout.write('listening\n'));
process.once('SIGTERM', () => process.exit(0));
