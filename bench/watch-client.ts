/**
 * Child process of the watch benchmark: opens `count` watches (one keep-alive TLS connection
 * each, `parallel` handshakes at a time), prints `open <n>` once every one has its response head,
 * then holds them idle until a line arrives on stdin, closes them all and prints `closed`.
 *
 * Usage: node bench/watch-client.ts '<json: host, port, path, ca, headers, count, parallel>'
 */
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

let next = 0;
await Promise.all(
  Array.from({ length: spec.parallel }, async () => {
    while (next < spec.count) {
      next++;
      await open();
    }
  }),
);
process.stdout.write(`open ${spec.count - failed}\n`);
for await (const _line of createInterface({ input: process.stdin })) break;
for (const socket of sockets) socket.destroy();
process.stdout.write('closed\n');
process.exit(0);
