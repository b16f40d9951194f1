import type WebSocket from 'ws';
import { maskingRulesFor } from '../../src/masking/policy.ts';
import { inputMask, outputMasks } from '../recording/exec-output-mask.ts';
import type { RequestRecording } from '../recording/request-recording.ts';
import { exitStatus, StreamRecorder } from '../recording/stream-recorder.ts';
import { callerFrom, clusterFrom, infoFrom, type RequestContext } from '../request-context.ts';
import type { IdentityMapping } from '../runtime.ts';
import {
  acceptClient,
  CHANNEL,
  channelMessage,
  forwardClose,
  inBandStatus,
  offeredChannelProtocols,
} from './exec-accept-websocket.ts';
import { openUpstreamExec } from './exec-dial-websocket.ts';

/**
 * Exec and attach over WebSocket (`v5.channel.k8s.io`, or `v4`), recorded: the gateway terminates
 * the WebSocket on both sides and relays message by message, so every frame is seen, masked where
 * the caller's rules say, and recorded (stream-recorder.ts) — stdin, stdout, stderr, resize, and
 * the exit Status on channel 3.
 *
 * Order of events: the `stream-open` event is written first (a recording failure is a 503 before
 * anything happens), then the upstream is opened, then the client is accepted — always with a 101
 * once the call got this far (exec-accept.ts says why). Messages keep their order in each
 * direction; held partial output lines are flushed before the Status is relayed; each side's close
 * code is passed to the other. Pings are answered by `ws` on each side. A sender whose peer is
 * not keeping up is paused (ws `pause`/`resume`), so memory stays bounded.
 *
 * Never throws once the client is accepted: after the 101, an error can only end the stream.
 */

const HIGH_WATER = 1024 * 1024;
const LOW_WATER = 256 * 1024;

export async function relayRecordedExec(
  ctx: RequestContext,
  identity: IdentityMapping,
  recording: RequestRecording,
  kind: 'exec' | 'attach',
): Promise<void> {
  const protocols = offeredChannelProtocols(ctx.req);
  const query = new URLSearchParams(ctx.rawQuery ?? '');
  const flag = (name: string): boolean => ['true', '1'].includes(query.get(name) ?? '');
  const info = infoFrom(ctx);
  const tty = flag('tty');
  const runtime = recording.runtime;
  const required = runtime.settings.required;
  let stop: (reason: string) => void = () => undefined;
  const recorder = new StreamRecorder(recording, (error) => {
    runtime.logger.error(
      { err: error, session: recording.sessionId },
      'recording: a stream could not be recorded',
    );
    if (required) stop('recording unavailable');
  });
  const container = query.get('container');
  await recorder.open({
    kind,
    protocol: protocols[0] ?? '',
    recorded: true,
    ...(kind === 'exec' ? { command: query.getAll('command') } : {}),
    ...(container ? { container } : {}),
    pod: info.name,
    namespace: info.namespace,
    tty,
    stdin: flag('stdin'),
  });

  const answer = await openUpstreamExec(ctx, identity, protocols);
  const client = await acceptClient(ctx, answer.kind === 'open' ? answer.ws.protocol : (protocols[0] ?? ''));
  if (!client) {
    // kubectl went away (or sent a broken handshake) while the upstream was being opened.
    if (answer.kind === 'open') answer.ws.terminate();
    ctx.status = 499;
    await recorder.close({});
    return;
  }
  if (answer.kind !== 'open') {
    ctx.status = answer.kind === 'refused' ? answer.status : 502;
    const status = inBandStatus(answer, clusterFrom(ctx).name);
    recorder.frame(CHANNEL.error, status);
    client.send(channelMessage(CHANNEL.error, status), () => client.close(1000));
    await new Promise((resolve) => client.once('close', resolve));
    await recorder.close({ ...exitStatus(status), closeCode: 1000 });
    return;
  }
  ctx.status = 101;
  const upstream = answer.ws;
  let exit: ReturnType<typeof exitStatus> | undefined;
  let closeCode: number | undefined;

  const send = (target: WebSocket, source: WebSocket, message: Buffer, binary = true): void => {
    target.send(message, { binary }, () => {
      if (source.isPaused && target.bufferedAmount < LOW_WATER) source.resume();
    });
    if (target.bufferedAmount > HIGH_WATER && !source.isPaused) source.pause();
  };
  const toClient = (channel: number, payload: Buffer): void => {
    recorder.frame(channel, payload);
    recorder.bytes.toClient += payload.length + 1;
    send(client, upstream, channelMessage(channel, payload));
  };
  const rules = maskingRulesFor(runtime.masking, callerFrom(ctx));
  const masks = outputMasks(rules, runtime.masking.limits, tty, toClient);
  const stdinMask = inputMask(runtime.masking.limits, tty, (channel, bytes) =>
    recorder.frame(channel, bytes),
  );

  upstream.on('message', (data: Buffer, isBinary: boolean) => {
    const channel = data[0];
    if (!isBinary || channel === undefined) return void send(client, upstream, data, isBinary);
    const payload = data.subarray(1);
    const output = channel === CHANNEL.stdout || channel === CHANNEL.stderr;
    // The empty "stream established" message must reach kubectl at once, unmasked.
    if (output && masks && payload.length > 0) return void masks.write(channel, payload);
    if (channel === CHANNEL.error) {
      masks?.flush();
      exit = exitStatus(payload);
    }
    toClient(channel, payload);
  });
  client.on('message', (data: Buffer, isBinary: boolean) => {
    recorder.bytes.fromClient += data.length;
    send(upstream, client, data, isBinary);
    const channel = data[0];
    if (!isBinary || channel === undefined) return;
    const payload = data.subarray(1);
    if (channel === CHANNEL.stdin) stdinMask.write(channel, payload);
    else {
      if (channel === CHANNEL.close) stdinMask.flush();
      recorder.frame(channel, payload);
    }
  });

  const closed = Promise.all([
    new Promise<void>((resolve) => upstream.once('close', () => resolve())),
    new Promise<void>((resolve) => client.once('close', () => resolve())),
  ]);
  upstream.on('close', (code: number, reason: Buffer) => {
    masks?.flush();
    closeCode = code;
    forwardClose(client, code, reason);
  });
  client.on('close', (code: number, reason: Buffer) => {
    closeCode ??= code;
    forwardClose(upstream, code, reason);
  });
  upstream.on('error', () => upstream.terminate());
  client.on('error', () => client.terminate());
  stop = (reason) => {
    const status = Buffer.from(
      JSON.stringify({ status: 'Failure', reason: 'ServiceUnavailable', message: reason }),
    );
    if (client.readyState === client.OPEN) client.send(channelMessage(CHANNEL.error, status));
    client.close(1011, reason);
    upstream.close(1011, reason);
  };

  await closed;
  masks?.dispose();
  stdinMask.flush();
  stdinMask.dispose();
  await recorder.close({
    ...(exit?.exitCode !== undefined ? { exitCode: exit.exitCode } : {}),
    ...(exit?.status ? { status: exit.status } : {}),
    ...(closeCode !== undefined ? { closeCode } : {}),
    ...(masks && masks.count() > 0 ? { masked: masks.count() } : {}),
  });
}
