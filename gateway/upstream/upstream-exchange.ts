import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Dispatcher } from 'undici';

/** The status line and headers of an upstream answer (names lower-cased, repeats as arrays). */
export interface UpstreamHead {
  statusCode: number;
  headers: IncomingHttpHeaders;
}

/** Where an upstream answer's body goes, chunk by chunk. */
export interface BodySink {
  /** Takes a chunk; false asks for no more until the sink calls the body's `resume`. */
  write(chunk: Buffer): boolean;
  end(): void;
  /** The upstream failed mid-body: the sink must not pass on as complete what it got so far. */
  fail(error: Error): void;
}

/** An upstream answer's body, as the relay and shutdown handle it. */
export interface UpstreamBody {
  /** Sends the body, from its first chunk, to `sink`; once. */
  sendBodyTo(sink: BodySink): void;
  /** Resumes a paused body (the sink drained). */
  readonly resume: () => void;
  /** Ends it early and closes its connection. */
  abort(reason: Error): void;
  /** Sends the rest of the body nowhere (shutdown ends the client's response on its own). */
  detach(): void;
}

/** An upstream answer whose head has arrived; its body waits for a sink. */
export interface UpstreamAnswer {
  body: UpstreamBody;
  head: UpstreamHead;
}

/**
 * The same for an answer that came through Node's client (an upgrade request the cluster answered
 * without upgrading).
 */
export function messageAnswer(message: IncomingMessage): UpstreamAnswer {
  let sink = NOWHERE;
  message.on('error', () => undefined); // reported to the sink once there is one
  const body: UpstreamBody = {
    sendBodyTo(next) {
      sink = next;
      message.on('data', (chunk: Buffer) => {
        if (!sink.write(chunk)) message.pause();
      });
      message.once('end', () => sink.end());
      message.once('error', (error) => sink.fail(error));
    },
    resume: () => message.resume(),
    abort: (reason) => message.destroy(reason),
    detach() {
      sink = NOWHERE;
      message.resume();
    },
  };
  return { body, head: { statusCode: message.statusCode ?? 502, headers: message.headersDistinct } };
}

/** Takes every chunk and drops it: a body read to its end for nothing (its connection is reused). */
export const NOWHERE: BodySink = { write: () => true, end: () => undefined, fail: () => undefined };

/**
 * A sink that writes into `target` (the client response, a masker), pausing `body` while the
 * target is full and resuming it on the target's drain.
 */
export function writeInto(
  target: {
    write(chunk: Uint8Array): boolean;
    end(): unknown;
    once(event: 'drain', listener: () => void): unknown;
  },
  body: UpstreamBody,
  fail: (error: Error) => void,
): BodySink {
  return {
    write: (chunk) => {
      if (target.write(chunk)) return true;
      target.once('drain', body.resume);
      return false;
    },
    end: () => void target.end(),
    fail,
  };
}

/**
 * One request to the cluster, as an undici dispatch handler: {@link head} settles with the status
 * and headers (or the failure before them), then {@link sendBodyTo} hands each body chunk to a
 * sink as it is parsed — no stream in between, which is where Node's client spent most of its
 * time per small request. The body waits (the connection is paused) until a sink is given, so a
 * caller may look at the head first and decide (mask, renew a refused credential, discard).
 */
export class UpstreamExchange implements Dispatcher.DispatchHandler, UpstreamBody {
  readonly head: Promise<UpstreamHead>;
  private settleHead!: { resolve(head: UpstreamHead): void; reject(error: Error): void };
  private headSettled = false;
  private controller: Dispatcher.DispatchController | undefined;
  private abortReason: Error | undefined;
  private sink: BodySink | undefined;
  private waiting: Buffer[] = [];
  private ended = false;
  private failure: Error | undefined;

  constructor() {
    this.head = new Promise<UpstreamHead>((resolve, reject) => {
      this.settleHead = { resolve, reject };
    });
    // A head nobody awaits any more (the request was abandoned) must not become an unhandled rejection.
    this.head.catch(() => undefined);
  }

  /** Ends the exchange: the head rejects with `reason` if it has not come, the connection is closed. */
  abort(reason: Error): void {
    this.abortReason ??= reason;
    this.rejectHead(reason);
    if (this.controller && !this.controller.aborted) this.controller.abort(reason);
  }

  /** Sends the body, from its first chunk, to `sink`; once, after {@link head} resolved. */
  sendBodyTo(sink: BodySink): void {
    this.sink = sink;
    let ready = true;
    for (const chunk of this.waiting) ready = sink.write(chunk) && ready;
    this.waiting = [];
    if (this.failure) sink.fail(this.failure);
    else if (this.ended) sink.end();
    else if (ready) this.resume(); // else the sink resumes once it drained
  }

  /** Sends the rest of the body nowhere (shutdown ends the client's response on its own). */
  detach(): void {
    this.waiting = [];
    this.sink = NOWHERE;
    this.resume();
  }

  /** Resumes a paused body (the sink drained). */
  readonly resume = (): void => {
    if (this.controller && !this.controller.aborted) this.controller.resume();
  };

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.abortReason) controller.abort(this.abortReason);
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
  ): void {
    if (statusCode < 200) return; // 1xx: informational, the answer is still to come
    if (!this.sink) controller.pause();
    this.headSettled = true;
    this.settleHead.resolve({ statusCode, headers });
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.sink) {
      this.waiting.push(chunk);
      controller.pause();
    } else if (!this.sink.write(chunk)) controller.pause();
  }

  onResponseEnd(): void {
    if (this.sink) this.sink.end();
    else this.ended = true;
  }

  onResponseError(_controller: Dispatcher.DispatchController | null, error: Error): void {
    const reason = this.abortReason ?? error;
    if (!this.headSettled) this.rejectHead(reason);
    else if (this.sink) this.sink.fail(reason);
    else this.failure = reason;
  }

  private rejectHead(reason: Error): void {
    if (this.headSettled) return;
    this.headSettled = true;
    this.settleHead.reject(reason);
  }
}
