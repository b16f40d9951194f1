import type { MaskingLimits } from '../../src/masking/policy.ts';
import { inputMask } from '../masking/exec-output.ts';
import type { RequestContext } from '../request-context.ts';
import { CHANNEL } from '../upstream/exec-accept-websocket.ts';
import type { ChannelStreamObserver } from '../upstream/exec-relay-websocket.ts';
import type { RequestRecording } from './request-recording.ts';
import { StreamRecorder } from './stream-recorder.ts';

/**
 * The recording's observer of a terminated exec/attach stream (upstream/exec-relay-websocket.ts):
 * a `stream-open` event before anything happens (a failure refuses the call), every frame as the
 * client saw it (output after masking), stdin masked in the recording only — what the agent typed
 * reaches the container unchanged, but a password piped into a client is not kept — and a
 * `stream-close` event with the exit status, byte counts and how many values were masked.
 *
 * When recording is required and an append fails, the stream is ended: a session that can no
 * longer be recorded must not go on.
 */
export function recordChannelStream(
  ctx: RequestContext,
  recording: RequestRecording,
  details: {
    kind: 'exec' | 'attach';
    protocol: string;
    limits: MaskingLimits;
  },
): ChannelStreamObserver {
  const runtime = recording.runtime;
  const query = new URLSearchParams(ctx.rawQuery ?? '');
  const flag = (name: string): boolean => ['true', '1'].includes(query.get(name) ?? '');
  const tty = flag('tty');
  let stop: (reason: string) => void = () => undefined;
  const recorder = new StreamRecorder(recording, (error) => {
    runtime.logger.error(
      { err: error, session: recording.sessionId },
      'recording: a stream could not be recorded',
    );
    if (runtime.settings.required) stop('recording unavailable');
  });
  const stdin = inputMask(details.limits, tty, (channel, bytes) => recorder.frame(channel, bytes));
  const container = query.get('container');

  return {
    open: () =>
      recorder.open({
        kind: details.kind,
        protocol: details.protocol,
        recorded: true,
        ...(details.kind === 'exec' ? { command: query.getAll('command') } : {}),
        ...(container ? { container } : {}),
        pod: ctx.info?.name ?? '',
        namespace: ctx.info?.namespace ?? '',
        tty,
        stdin: flag('stdin'),
      }),
    started: (stopStream, flow) => {
      stop = stopStream;
      recorder.throttle(flow);
    },
    toClient: (channel, payload) => {
      recorder.frame(channel, payload);
      recorder.bytes.toClient += payload.length + 1;
    },
    fromClient: (channel, payload, wireBytes) => {
      recorder.bytes.fromClient += wireBytes;
      if (channel < 0) return;
      if (channel === CHANNEL.stdin) return stdin.write(channel, payload);
      if (channel === CHANNEL.close) stdin.flush();
      recorder.frame(channel, payload);
    },
    close: async (end) => {
      stdin.flush();
      stdin.dispose();
      await recorder.close({
        ...(end.exit?.exitCode !== undefined ? { exitCode: end.exit.exitCode } : {}),
        ...(end.exit?.status ? { status: end.exit.status } : {}),
        ...(end.closeCode !== undefined ? { closeCode: end.closeCode } : {}),
        ...(end.masked ? { masked: end.masked } : {}),
      });
    },
  };
}
