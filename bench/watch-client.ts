/**
 * Child process of the watch benchmark: opens `count` watches, prints `open <n>` once every one
 * has its response head, then holds them idle until a line arrives on stdin, closes them all and
 * prints `closed`. Each watch has a keep-alive TLS connection of its own speaking HTTP/1.1 (as a
 * client without HTTP/2, such as one on urllib3); or, with `http2`, the watches are streams on
 * HTTP/2 connections of at most `streamsPerConnection` each: 1 as separate `kubectl get -w`
 * processes (kubectl speaks HTTP/2 wherever the server offers it), 100 as one client-go process
 * opens many (it starts another connection when one reaches the server's stream limit).
 * `parallel` connections are opened at a time.
 *
 * Usage: node bench/watch-client.ts '<json: host, port, path, ca, headers, count, parallel, http2?, streamsPerConnection?>'
 */
import { type ClientHttp2Session, connect as connectHttp2 } from 'node:http2';
import { createInterface } from 'node:readline';
import { connect, type TLSSocket } from 'node:tls';

interface Spec {
  host: string;
  port: number;
  path: string;
  ca: string;
  headers: Record<string, string>;
  count: number;
  parallel: number;
  http2?: boolean;
  streamsPerConnection?: number;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as Spec;
const request =
  `GET ${spec.path} HTTP/1.1\r\nHost: ${spec.host}:${spec.port}\r\n` +
  Object.entries(spec.headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('') +
  '\r\n';
const sockets: TLSSocket[] = [];
let failed = 0;

const open = () =>
  new Promise<void>((resolve) => {
    const socket = connect({ host: spec.host, port: spec.port, ca: spec.ca });
    sockets.push(socket);
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      socket.resume(); // events that arrive later are read and dropped
      if (!head.startsWith('HTTP/1.1 200')) failed++;
      resolve();
    };
    socket.once('secureConnect', () => socket.write(request));
    socket.on('data', onData);
    socket.on('error', () => {
      failed++;
      resolve();
    });
  });

const sessions: ClientHttp2Session[] = [];

/** `count` watches as streams of one new HTTP/2 connection. */
async function openStreams(count: number): Promise<void> {
  const session = connectHttp2(`https://${spec.host}:${spec.port}`, { ca: spec.ca });
  sessions.push(session);
  session.on('error', () => {});
  await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<void>((resolve) => {
          const stream = session.request({ ':path': spec.path, ...spec.headers });
          stream.once('response', (head) => {
            if (head[':status'] !== 200) failed++;
            stream.resume(); // events that arrive later are read and dropped
            resolve();
          });
          stream.on('error', () => {
            failed++;
            resolve();
          });
        }),
    ),
  );
}

const perConnection = spec.http2 ? (spec.streamsPerConnection ?? 100) : 1;
let next = 0;
await Promise.all(
  Array.from({ length: spec.parallel }, async () => {
    while (next < spec.count) {
      const streams = Math.min(perConnection, spec.count - next);
      next += streams;
      await (spec.http2 ? openStreams(streams) : open());
    }
  }),
);
process.stdout.write(`open ${spec.count - failed}\n`);
for await (const _line of createInterface({ input: process.stdin })) break;
for (const socket of sockets) socket.destroy();
for (const session of sessions) session.destroy();
process.stdout.write('closed\n');
process.exit(0);
