/**
 * Child process of the exec benchmark: runs `cat` in a pod over the Kubernetes WebSocket exec
 * protocol (`v5.channel.k8s.io`), writes `bytes` of text lines to its stdin and reads its stdout
 * until all of them came back, then prints `{"seconds":…,"cpuMs":…,"bytes":…,"stdoutBytes":…}`
 * (`cpuMs`: its own CPU time over the copy). It sends as fast as the socket drains (at most
 * `WINDOW` bytes ahead of what came back), so the relay in between sets the pace.
 *
 * Usage: node bench/exec-client.ts '<json: url, ca, headers, bytes>'
 */
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';

interface Spec {
  url: string;
  ca: string;
  headers: Record<string, string>;
  bytes: number;
}

const STDIN = 0;
const STDOUT = 1;
const CLOSE = 255;
/** Bytes per stdin frame: what kubectl sends at most per read of its stdin. */
const FRAME = 32 * 1024;
/** How far stdin may run ahead of stdout: enough to keep the pipe full, not the whole body. */
const WINDOW = 4 * 1024 * 1024;

const spec = JSON.parse(process.argv[2] ?? '{}') as Spec;

/** Text lines like a program's output: 76 base64 characters and a newline, none of them secret. */
function lines(size: number): Buffer {
  const out = Buffer.alloc(size);
  const text = randomBytes(Math.ceil((size * 3) / 4)).toString('base64');
  for (let i = 0; i < size; i++) out[i] = (i + 1) % 77 === 0 ? 0x0a : text.charCodeAt(i);
  return out;
}

const block = lines(FRAME);
const socket = new WebSocket(spec.url, ['v5.channel.k8s.io'], { ca: spec.ca, headers: spec.headers });
let sent = 0;
let received = 0;
let stdinClosed = false;
const started = performance.now();
const cpuBefore = process.cpuUsage();

function pump(): void {
  while (sent < spec.bytes && sent - received < WINDOW && socket.bufferedAmount < 4 * FRAME) {
    const size = Math.min(FRAME, spec.bytes - sent);
    socket.send(Buffer.concat([Buffer.from([STDIN]), block.subarray(0, size)]));
    sent += size;
  }
  if (sent >= spec.bytes && !stdinClosed) {
    stdinClosed = true;
    socket.send(Buffer.from([CLOSE, STDIN]));
  }
}

socket.on('open', () => {
  pump();
  const timer = setInterval(pump, 5);
  socket.on('close', () => clearInterval(timer));
});
socket.on('message', (data: Buffer) => {
  if (data[0] !== STDOUT) return;
  received += data.length - 1;
  if (received >= spec.bytes) {
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    process.stdout.write(`${JSON.stringify({ seconds, cpuMs, bytes: spec.bytes, stdoutBytes: received })}\n`);
    socket.close();
    return;
  }
  pump();
});
socket.on('error', (error) => {
  process.stderr.write(`exec client: ${error.message}\n`);
  process.exit(1);
});
socket.on('unexpected-response', (_req, res) => {
  process.stderr.write(`exec client: HTTP ${res.statusCode}\n`);
  process.exit(1);
});
