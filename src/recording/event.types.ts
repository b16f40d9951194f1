import type { CallerSnapshot } from '../approvals/review.types.ts';
import type { JsonValue } from '../masking/mask-core.ts';

/**
 * What a recorded session is made of. A session is an ordered list of events; each event is one
 * JSON object on one line (canonical JSON, keys sorted), carrying its sequence number, the hash
 * of the event before it and its own hash (hash-chain.ts), so a changed, removed or reordered
 * event is detectable.
 *
 * Nothing in an event is a credential: headers are sanitised (headers.ts), bodies are masked or
 * reduced to size and digest (body-record.ts), and only allowlisted token claims are kept.
 */

/** A request or response body as recorded: never raw when it could hold a secret. */
export interface BodyRecord {
  /** Media type without parameters, e.g. `application/json`. */
  contentType?: string;
  /** `gzip` when the body travelled compressed (size and digest are of the bytes as sent). */
  contentEncoding?: string;
  /** Bytes seen. */
  size: number;
  /** SHA-256 (hex) of every byte seen. */
  sha256: string;
  /** The masked document (or, for a watch, the masked events) when it was JSON within the cap. */
  json?: JsonValue;
  /** Masked text (pod logs, plain text), or the head of a body over the cap. */
  text?: string;
  /** True when `text` is only the head of the body (the body was over the cap). */
  truncated?: boolean;
  /**
   * Why the content is not stored: `protobuf`, `binary`, `compressed`, `undecodable`, `over-cap`,
   * `not-json`, or `unmaskable` (a body about values the masker could not vouch for; `text` then
   * says `body withheld: unmaskable`). Older recordings may say `secret` for the latter.
   */
  omitted?: string;
  /** How many values masking replaced in what is stored. */
  masked?: number;
}

/** The request info kube-apiserver would compute, as recorded. */
export interface RecordedInfo {
  verb: string;
  resource?: string;
  subresource?: string;
  apiGroup?: string;
  apiVersion?: string;
  namespace?: string;
  name?: string;
  /** Non-resource requests only: the path. */
  path?: string;
}

/** Fields every event has; `hash` is added when the event is chained. */
export interface EventHead {
  /** Format version. */
  v: 1;
  seq: number;
  /** Hash of the previous event (or the session's genesis hash for the first). */
  prev: string;
  /** Epoch milliseconds (sub-millisecond, monotonic within one gateway process). */
  ts: number;
  /** The gateway replica that wrote the event (host name and pid). */
  by: string;
}

export interface SessionEvent {
  type: 'session';
  session: string;
  /** `kubectl`: one kubectl invocation (its Kubectl-Session header); `idle`: until an idle gap. */
  kind: 'kubectl' | 'idle';
  caller: CallerSnapshot;
  cluster: string;
  command?: string;
  userAgent?: string;
}

export interface RequestEvent {
  type: 'request';
  /** Request id, shared with the response and stream events of this request. */
  rid: string;
  method: string;
  /** The path below `/clusters/<name>`, without the query. */
  path: string;
  query?: string;
  info?: RecordedInfo;
  headers: Record<string, string | string[]>;
  body?: BodyRecord;
  decision?: { action: 'allow' | 'deny' | 'review'; rule: string };
  review?: { id: string; state?: string };
  command?: string;
}

export interface ResponseEvent {
  type: 'response';
  rid: string;
  status: number;
  durationMs: number;
  body?: BodyRecord;
  /** The gateway's own refusal (policy, review, recording unavailable), when it answered itself. */
  refusal?: string;
  /** The Status message the gateway answered with, when it answered itself. */
  message?: string;
  review?: { id: string; state?: string };
}

export type StreamKind = 'exec' | 'attach' | 'portforward';

export interface StreamOpenEvent {
  type: 'stream-open';
  rid: string;
  /** Stream id within the session (`x1`, `x2`, …): names the `.cast` file. */
  stream: string;
  kind: StreamKind;
  protocol: string;
  /** False for a byte relay (port-forward, or SPDY the policy let through unrecorded). */
  recorded: boolean;
  command?: string[];
  container?: string;
  pod?: string;
  namespace?: string;
  tty?: boolean;
  stdin?: boolean;
  ports?: number[];
}

/** `[ms since stream open, channel, base64 bytes]`; channels as in `v5.channel.k8s.io`. */
export type StreamFrame = [number, number, string];

export interface StreamDataEvent {
  type: 'stream-data';
  stream: string;
  frames: StreamFrame[];
}

/** A frame on its way into the recording: its bytes become base64 as its line is written. */
export type StreamFrameBytes = [number, number, Buffer];

/** A `stream-data` event as a stream hands it to the store (recording/byte-frames.ts). */
export interface StreamDataBytesEvent {
  type: 'stream-data';
  stream: string;
  frames: StreamFrameBytes[];
}

export interface StreamCloseEvent {
  type: 'stream-close';
  stream: string;
  durationMs: number;
  exitCode?: number;
  /** The Status the command ended with (channel 3), reduced to status, reason and message. */
  status?: { status: string; reason?: string; message?: string };
  /** WebSocket close code (1000 normal). */
  closeCode?: number;
  bytes: { fromClient: number; toClient: number };
  /** Port-forward: the ports seen in the stream (SPDY headers), where they could be parsed. */
  ports?: number[];
  /** Output bytes replaced by masking. */
  masked?: number;
}

export type EventBody =
  | SessionEvent
  | RequestEvent
  | ResponseEvent
  | StreamOpenEvent
  | StreamDataEvent
  | StreamCloseEvent;

/** What is appended: any event, a stream's frames as stored (base64) or still as bytes. */
export type AppendableEvent = EventBody | StreamDataBytesEvent;

/** An event as stored: body, head and its own hash. */
export type RecordedEvent = EventBody & EventHead & { hash: string };
