/**
 * One exec or attach session over an accepted WebSocket (`v5.channel.k8s.io` or `v4`): wires
 * the channels of {@link ./channel-protocol.ts} to the sandbox shell and ends the session the
 * way kube-apiserver does: status on channel 3, then a normal close.
 *
 * - exec runs `target.command` in {@link ./shell.ts} with the container's environment;
 * - attach is the container's main process, which here is a `cat`: it prints one line saying
 *   so, then echoes stdin; with stdin it ends (Success) when the client closes stdin, without
 *   stdin it stays attached until the client goes away, as attaching to a quiet process does;
 * - with `tty`, input goes through {@link ./tty.ts} and stderr is merged into stdout;
 * - when the client disconnects first, the command is aborted and nothing more is written;
 * - the command starts {@link PROCESS_START_MS} after the handshake, as a kubelet's does (a
 *   container runtime takes tens of milliseconds to start a process). client-go up to 1.33 starts
 *   reading the WebSocket before it has registered its streams and discards what arrives for an
 *   unregistered one (fixed upstream in 1.34, kubernetes/kubernetes#131203); an instant command's
 *   output could land in that window on a loaded machine, which a real cluster never shows.
 */
import type WebSocket from 'ws';
import { trackActive } from './active.ts';
import {
  CHANNEL,
  channelMessage,
  exitCodeStatus,
  STREAM_PROTOCOL_V5,
  successStatus,
} from './channel-protocol.ts';
import type { ExecTarget } from './exec-target.ts';
import { InputQueue } from './input-queue.ts';
import { ABORTED_STATUS, runCommand, type ShellIo } from './shell.ts';
import { LineDiscipline, toTerminal } from './tty.ts';

/** How long after the handshake the command starts. */
export const PROCESS_START_MS = 50;

/** Runs the session to its end; the WebSocket is closed when this returns. */
export async function runExecSession(ws: WebSocket, target: ExecTarget): Promise<void> {
  const release = trackActive(target.kind);
  const aborted = new AbortController();
  const stdin = new InputQueue();
  let interrupted = false;
  const open = (): boolean => ws.readyState === ws.OPEN && !aborted.signal.aborted;
  const send = (channel: number, data: string | Uint8Array): void => {
    if (open()) ws.send(channelMessage(channel, target.tty ? toTerminal(data) : data));
  };
  const stop = (): void => {
    aborted.abort();
    stdin.end();
  };
  ws.on('close', stop);
  ws.on('error', stop);

  if (!target.stdin) stdin.end();
  const discipline = target.tty
    ? new LineDiscipline({
        line: (text) => stdin.push(Buffer.from(text)),
        echo: (text) => send(CHANNEL.stdout, text),
        eof: () => stdin.end(),
        interrupt: () => {
          interrupted = true;
          stop();
        },
      })
    : undefined;
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    const channel = data[0];
    if (!isBinary || channel === undefined) return;
    const payload = data.subarray(1);
    if (channel === CHANNEL.stdin && target.stdin) {
      if (discipline) discipline.input(payload);
      else stdin.push(Buffer.from(payload));
    } else if (
      channel === CHANNEL.close &&
      ws.protocol === STREAM_PROTOCOL_V5 &&
      payload[0] === CHANNEL.stdin
    ) {
      stdin.end();
    }
    // Resize (4) needs no action: the sandbox shell does not lay anything out by width.
  });

  // The "connection established" message: empty, on the lowest writable channel.
  send(target.stdout ? CHANNEL.stdout : target.stderr ? CHANNEL.stderr : CHANNEL.error, '');

  const io: ShellIo = {
    stdin,
    stdout: (data) => {
      if (target.stdout) send(CHANNEL.stdout, data);
    },
    stderr: (data) => {
      if (target.stderr) send(CHANNEL.stderr, data);
      else if (target.tty && target.stdout) send(CHANNEL.stdout, data);
    },
    signal: aborted.signal,
    tty: target.tty,
  };

  try {
    await abortableDelay(PROCESS_START_MS, aborted.signal);
    let code: number;
    if (target.kind === 'exec') {
      code = await runCommand(target.command, io, target.env);
    } else {
      io.stdout(
        `Attached to container ${target.container} of pod ${target.namespace}/${target.pod}: ` +
          'its main process echoes what you send.\n',
      );
      if (!target.stdin) await new Promise((resolve) => aborted.signal.addEventListener('abort', resolve));
      code = await runCommand(['cat'], io, target.env);
    }
    if (interrupted) code = ABORTED_STATUS;
    if (ws.readyState === ws.OPEN) {
      const status = code === 0 ? successStatus() : exitCodeStatus(code, target.command);
      ws.send(channelMessage(CHANNEL.error, JSON.stringify(status)));
      ws.close(1000);
    }
  } catch {
    if (ws.readyState === ws.OPEN) ws.close(1011);
  } finally {
    stop();
    release();
  }
}

function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
