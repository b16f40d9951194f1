/**
 * The Kubernetes remote-command WebSocket protocol (`v5.channel.k8s.io`, and `v4` for older
 * clients), as kube-apiserver speaks it (apiserver `pkg/util/proxy/websocket.go`, wsstream
 * `conn.go`, client-go `tools/remotecommand/websocket.go`):
 *
 * - every message is binary; its first byte is the channel: 0 stdin, 1 stdout, 2 stderr,
 *   3 error (one JSON `Status` written when the command ends), 4 resize (JSON
 *   `{"Width":w,"Height":h}` objects), and in v5 only 255 = close: `[255, n]` closes channel n
 *   (kubectl sends `[255, 0]` when its stdin reaches EOF);
 * - right after the handshake the server sends one empty message on the lowest writable
 *   output channel (stdout, else stderr, else error) to tell the client the session is up;
 * - after the status on channel 3 the server closes the WebSocket with 1000 (normal closure):
 *   client-go turns that close into EOF on every stream and only then reads the status, so the
 *   close is part of the protocol, not an afterthought.
 */

export const STREAM_PROTOCOL_V5 = 'v5.channel.k8s.io';
export const STREAM_PROTOCOL_V4 = 'v4.channel.k8s.io';

/** Remote-command subprotocols this server speaks. */
export const EXEC_SUBPROTOCOLS: readonly string[] = [STREAM_PROTOCOL_V5, STREAM_PROTOCOL_V4];

export const CHANNEL = {
  stdin: 0,
  stdout: 1,
  stderr: 2,
  error: 3,
  resize: 4,
  close: 255,
} as const;

/** One channel message: the channel byte followed by the payload. */
export function channelMessage(channel: number, data: string | Uint8Array = new Uint8Array()): Buffer {
  const payload = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const message = Buffer.allocUnsafe(payload.length + 1);
  message[0] = channel;
  message.set(payload, 1);
  return message;
}

/**
 * The first subprotocol the client offered that the server supports, as wsstream's handshake
 * picks it (client order wins); `undefined` when there is none.
 */
export function negotiate(offered: readonly string[], supported: readonly string[]): string | undefined {
  return offered.find((p) => supported.includes(p));
}

/** The `Status` of a command that exited 0. */
export function successStatus(): Record<string, unknown> {
  return { metadata: {}, status: 'Success' };
}

/**
 * The `Status` of a command that exited non-zero: kubectl reads `details.causes[reason=ExitCode]`
 * and exits with that code after printing "command terminated with exit code N".
 */
export function exitCodeStatus(code: number, argv: readonly string[]): Record<string, unknown> {
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: command '${argv.join(' ')}' exited with ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}
