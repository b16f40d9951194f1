import { DEFAULT_CLAIM_ALLOWLIST, snapshotCaller } from '../../src/approvals/caller-snapshot.ts';
import type { Caller } from '../../src/authn/caller.ts';
import { maskingRulesFor } from '../../src/masking/policy.ts';
import { hasByteFrames, withBase64Frames } from '../../src/recording/byte-frames.ts';
import type {
  AppendableEvent,
  BodyRecord,
  EventBody,
  RecordedInfo,
  RequestEvent,
} from '../../src/recording/event.types.ts';
import type { RequestInfo } from '../../src/request/request-info.types.ts';
import { sensitiveKindOf } from '../masking/value-kinds.ts';
import { callerFrom, clusterFrom, type RequestContext } from '../request-context.ts';
import { captureBuffer } from './body-capture.ts';
import { type BodyContext, isSecretRequest, recordBody } from './body-record.ts';
import { sanitizeHeaders } from './headers.ts';
import { newRequestId, type SessionIdentity, sessionIdentity } from './session-identity.ts';
import type { MetaUpdates } from './session-store.ts';
import type { RecordingRuntime } from './start.ts';
import { RecordingUnavailableError } from './unavailable-error.ts';

/**
 * One request's part of its session's recording. The record stage creates it once the caller
 * and cluster are known ({@link RequestRecording.begin} resolves the session in Redis and makes
 * sure its close job exists); the record gate writes the `request` event right before the request
 * goes upstream; the record stage writes the `response` event when the answer is complete.
 *
 * Appends that find the session closed (its idle gap passed on another replica while this request
 * ran) resolve the identity again and continue in the new session. With `recording.spool`, events
 * Redis cannot take (and every event while the spool holds any) go to the local spool instead,
 * flushed into the sessions in order once Redis answers (spool.ts). Session meta counters
 * (`requests`, `inflight`, `denied`, `errors`) and the review list ride along with the appends.
 */
export class RequestRecording {
  readonly rid = newRequestId();
  readonly runtime: RecordingRuntime;
  /**
   * What opening a session again needs. The request itself is not kept: a response event waiting
   * for its append then holds none of the request's objects.
   */
  readonly #origin: SessionOrigin;
  readonly #identity: SessionIdentity;
  /** Undefined while this request's events go to the spool (Redis unreachable, spool on). */
  #sessionId: string | undefined;
  /** The last session opened because the one before was found closed (see `#reopen`). */
  #reopened: { closed: string; opened: Promise<string> } | undefined;
  #requestWritten = false;

  private constructor(
    runtime: RecordingRuntime,
    origin: SessionOrigin,
    identity: SessionIdentity,
    sessionId: string | undefined,
  ) {
    this.runtime = runtime;
    this.#origin = origin;
    this.#identity = identity;
    this.#sessionId = sessionId;
  }

  static async begin(runtime: RecordingRuntime, ctx: RequestContext): Promise<RequestRecording> {
    if (!runtime.archiveWritable())
      throw new RecordingUnavailableError('the recording directory cannot be written');
    const userAgent = ctx.req.headers['user-agent'];
    const origin: SessionOrigin = {
      caller: callerFrom(ctx),
      cluster: clusterFrom(ctx).name,
      ...(userAgent ? { userAgent } : {}),
    };
    const identity = sessionIdentity(origin.caller, origin.cluster, ctx.req.headers);
    // Events waiting in the spool go first: this request's follow them there.
    if (runtime.spool?.pending) return new RequestRecording(runtime, origin, identity, undefined);
    try {
      const id = await RequestRecording.#open(runtime, origin, identity);
      return new RequestRecording(runtime, origin, identity, id);
    } catch (error) {
      if (!runtime.spool || !(error instanceof RecordingUnavailableError)) throw error;
      return new RequestRecording(runtime, origin, identity, undefined);
    }
  }

  static async #open(
    runtime: RecordingRuntime,
    origin: SessionOrigin,
    identity: SessionIdentity,
  ): Promise<string> {
    // The common case: this process appended to the session a moment ago, so it is open and its
    // close job is scheduled; no caller snapshot to build, no round trip.
    const recent = runtime.store.recentSession(identity.key);
    if (recent !== undefined && runtime.closeQueue.isScheduled(recent)) return recent;
    const { id } = await runtime.store.resolve({
      identity,
      caller: snapshotCaller(origin.caller, DEFAULT_CLAIM_ALLOWLIST),
      cluster: origin.cluster,
      ...(origin.userAgent ? { userAgent: origin.userAgent } : {}),
    });
    await runtime.closeQueue.ensureScheduled(id);
    return id;
  }

  /** The session's id; `spooled` while the events wait in the local spool for Redis. */
  get sessionId(): string {
    return this.#sessionId ?? 'spooled';
  }

  get requestWritten(): boolean {
    return this.#requestWritten;
  }

  /** Appends an event to this request's session (re-resolving once if it closed meanwhile). */
  append(body: EventBody, updates: MetaUpdates = {}): Promise<void> {
    return this.appendAll([body], updates);
  }

  /**
   * Appends events in order, all or none (in Redis: one script call; `updates` ride with them):
   * a stream's frames that gathered while its previous append was in flight.
   */
  async appendAll(bodies: readonly AppendableEvent[], updates: MetaUpdates = {}): Promise<void> {
    const spool = this.runtime.spool;
    if (spool && (this.#sessionId === undefined || spool.pending)) return this.#spool(bodies, updates);
    try {
      await this.#appendLive(bodies, updates);
    } catch (error) {
      if (!spool || !(error instanceof RecordingUnavailableError)) throw error;
      this.#sessionId = undefined;
      await this.#spool(bodies, updates);
    }
  }

  async #appendLive(bodies: readonly AppendableEvent[], updates: MetaUpdates): Promise<void> {
    const store = this.runtime.store;
    let id = this.#sessionId ?? (await RequestRecording.#open(this.runtime, this.#origin, this.#identity));
    let outcome = await store.appendAll(id, this.#identity.key, bodies, updates);
    if (outcome.kind === 'closed') {
      id = await this.#reopen(id);
      outcome = await store.appendAll(id, this.#identity.key, bodies, updates);
      if (outcome.kind === 'closed')
        throw new RecordingUnavailableError('the session closed twice while recording');
    }
    this.#sessionId = id;
  }

  /**
   * The session that replaces `closed`: one for every append that found it closed. A stream's
   * appends in flight together all find it closed, and move on to one new session in the order
   * they were made (each awaits the same opening, in that order).
   */
  #reopen(closed: string): Promise<string> {
    if (this.#reopened?.closed === closed) return this.#reopened.opened;
    const opened = RequestRecording.#open(this.runtime, this.#origin, this.#identity);
    this.#reopened = { closed, opened };
    // A failed opening is not kept: the next append tries again.
    opened.catch(() => {
      if (this.#reopened?.opened === opened) this.#reopened = undefined;
    });
    return opened;
  }

  /**
   * The events, fsynced to the local spool (gateway/recording/spool.ts), flushed to Redis later;
   * queued there together, so no other append comes between them.
   */
  async #spool(bodies: readonly AppendableEvent[], updates: MetaUpdates): Promise<void> {
    const origin = this.#origin;
    const spool = this.runtime.spool!;
    const caller = snapshotCaller(origin.caller, DEFAULT_CLAIM_ALLOWLIST);
    await Promise.all(
      bodies.map((body, i) =>
        spool.write({
          identity: this.#identity,
          caller,
          cluster: origin.cluster,
          ...(origin.userAgent ? { userAgent: origin.userAgent } : {}),
          body: hasByteFrames(body) ? withBase64Frames(body) : body,
          updates: i === 0 ? updates : {},
        }),
      ),
    );
  }

  /** The masking context for a body of this request: its own (`response` false) or the answer's. */
  bodyContext(ctx: RequestContext, watch: boolean, response: boolean): BodyContext {
    const info = ctx.info;
    return {
      sensitiveKind: sensitiveKindOf(info),
      secret: isSecretRequest(info),
      watch,
      response,
      rules: maskingRulesFor(this.runtime.masking, callerFrom(ctx)),
      ...(ctx.writeValues ? { requestValues: ctx.writeValues } : {}),
    };
  }

  /**
   * Writes the `request` event (once). `inflight` marks it as forwarded: the session cannot close
   * until the matching response event is written.
   */
  async writeRequest(ctx: RequestContext, options: { inflight: boolean }): Promise<void> {
    if (this.#requestWritten) return;
    let body: BodyRecord | undefined;
    if (ctx.body && ctx.body.length > 0) {
      const contentType = single(ctx.req.headers['content-type']);
      const captured = captureBuffer(ctx.body, this.runtime.settings.bodyCap);
      body = await recordBody(
        captured,
        { contentType, cap: this.runtime.settings.bodyCap },
        this.bodyContext(ctx, false, false),
      );
    }
    const event: RequestEvent = {
      type: 'request',
      rid: this.rid,
      method: ctx.req.method ?? 'GET',
      path: ctx.clusterPath ?? '/',
      headers: sanitizeHeaders(ctx.req.rawHeaders),
    };
    if (ctx.rawQuery) event.query = ctx.rawQuery;
    if (ctx.info) event.info = recordedInfo(ctx.info);
    if (body) event.body = body;
    if (ctx.decision) event.decision = { action: ctx.decision.action, rule: ctx.decision.rule };
    if (ctx.review) event.review = { id: ctx.review.id, state: ctx.review.outcome };
    const command = single(ctx.req.headers['kubectl-command']);
    if (command) event.command = command.slice(0, 200);
    // `ns:<namespace>` fields in the meta let the console filter sessions by namespace.
    const namespace = ctx.info?.isResourceRequest ? ctx.info.namespace : undefined;
    await this.append(event, {
      incr: { requests: 1, ...(options.inflight ? { inflight: 1 } : {}) },
      ...(namespace ? { set: { [`ns:${namespace}`]: '1' } } : {}),
    });
    this.#requestWritten = true;
  }

  /** Meta updates for the response: counters, and the review this request went through. */
  responseUpdates(ctx: RequestContext, status: number, forwarded: boolean): MetaUpdates {
    const incr: Record<string, number> = {};
    if (forwarded) incr['inflight'] = -1;
    if (ctx.refusal === 'policy') incr['denied'] = 1;
    if (status >= 500) incr['errors'] = 1;
    const set: Record<string, string> = {};
    if (ctx.review) {
      const info = ctx.info;
      const target = info ? [info.namespace, info.resource, info.name].filter(Boolean).join('/') : '';
      set[`review:${ctx.review.id}`] = JSON.stringify({
        state: reviewState(ctx.review.outcome),
        outcome: ctx.review.outcome,
        verb: info?.verb ?? '',
        target,
      });
    }
    return { incr, set };
  }
}

/** Who and where a session is for, as opening one needs it. */
interface SessionOrigin {
  caller: Caller;
  cluster: string;
  userAgent?: string;
}

function reviewState(outcome: string): string {
  if (/^(approved|auto-approved)/.test(outcome)) return 'approved';
  return outcome;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function recordedInfo(info: RequestInfo): RecordedInfo {
  if (!info.isResourceRequest) return { verb: info.verb, path: info.path };
  const out: RecordedInfo = { verb: info.verb, resource: info.resource, apiVersion: info.apiVersion };
  if (info.subresource) out.subresource = info.subresource;
  if (info.apiGroup) out.apiGroup = info.apiGroup;
  if (info.namespace) out.namespace = info.namespace;
  if (info.name) out.name = info.name;
  return out;
}
