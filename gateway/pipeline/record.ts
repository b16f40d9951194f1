import type { ResponseEvent } from '../../src/recording/event.types.ts';
import type { CapturedBody } from '../recording/body-capture.ts';
import { type BodyContext, type BodyMeta, recordBody } from '../recording/body-record.ts';
import { RequestRecording } from '../recording/request-recording.ts';
import { tapResponse } from '../recording/response-tap.ts';
import type { MetaUpdates } from '../recording/session-store.ts';
import type { RecordingRuntime } from '../recording/start.ts';
import { RecordingUnavailableError, recordingRefusalFor } from '../recording/unavailable-error.ts';
import { hasBody, KUBE_REQUEST_BODY_LIMIT, readBodyOnce } from '../request-body.ts';
import type { RequestContext, Stage } from '../request-context.ts';
import { statusFromError } from '../respond/status.ts';

/**
 * Recording in the pipeline, as two stages.
 *
 * `record` sits right after classification, so it knows the caller, the cluster and the request
 * info, and wraps the policy and review stages, so it sees every decision: a denied or held call
 * is recorded with its decision, review id and the Status it got. It resolves the session (in
 * Redis) before anything else happens, taps the response (response-tap.ts) and, when the request
 * is done — a watch or an exec stream included — writes the `response` event. That write is not
 * waited for: the request's log line and metrics do not include the recording's Redis round
 * trip, and shutdown waits for it instead (recording/detached-writes.ts).
 *
 * `recordGate` is the last stage before the terminal handler: it reads the request body if there
 * is one and review has not read it already (leaving it in `ctx.body` for forward) and writes the
 * `request` event. Only then does the request go upstream, so nothing reaches the cluster
 * unrecorded.
 *
 * With `recording.required` (the default) a recording failure at either point is a 503
 * (RecordingUnavailableError; for discovery a plain-text 500, see recordingRefusalFor) and the
 * request is not forwarded; without it the request goes on
 * unrecorded and the failure is logged. A failure writing the response event can only be logged.
 * Requests without a caller (401s) have no session and are left to the request log.
 */

export function record(runtime: RecordingRuntime | undefined): Stage {
  if (!runtime) return (next) => next;
  return (next) => async (ctx) => {
    let recording: RequestRecording;
    try {
      recording = await RequestRecording.begin(runtime, ctx);
    } catch (error) {
      if (!runtime.settings.required) {
        runtime.logger.warn({ err: error }, 'recording: request passes unrecorded');
        return next(ctx);
      }
      ctx.refusal = 'recording unavailable';
      runtime.logger.warn({ err: error }, 'recording: request refused, the session could not be opened');
      const refusal =
        error instanceof RecordingUnavailableError
          ? error
          : new RecordingUnavailableError('the session could not be opened', { cause: error });
      throw recordingRefusalFor(refusal, ctx.info?.isResourceRequest ?? true);
    }
    ctx.recording = recording;
    const tap = tapResponse(ctx.res, runtime.settings.bodyCap);
    let failure: unknown;
    try {
      await next(ctx);
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      // Not awaited: the request is done for its client, and the event holds none of it while it
      // waits for Redis (its objects would otherwise outlive it by a round trip or two).
      if (ctx.recording)
        runtime.detachedWrites.track(
          writeResponse(recording, ctx, tap, failure).catch((error: unknown) =>
            runtime.logger.error(
              { err: error, session: recording.sessionId },
              'recording: the response event was lost',
            ),
          ),
        );
    }
  };
}

export function recordGate(): Stage {
  return (next) => async (ctx) => {
    const recording = ctx.recording;
    if (!recording) return next(ctx);
    // A body the review stage already read is reused (request-body.ts reads a request once).
    if (!ctx.upgrade && hasBody(ctx.req)) await readBodyOnce(ctx, KUBE_REQUEST_BODY_LIMIT);
    try {
      await recording.writeRequest(ctx, { inflight: true });
    } catch (error) {
      if (!recording.runtime.settings.required) {
        recording.runtime.logger.warn({ err: error }, 'recording: request passes unrecorded');
        delete ctx.recording;
        return next(ctx);
      }
      ctx.refusal = 'recording unavailable';
      recording.runtime.logger.warn(
        { err: error },
        'recording: request refused, its event could not be written',
      );
      throw error instanceof RecordingUnavailableError
        ? recordingRefusalFor(error, ctx.info?.isResourceRequest ?? true)
        : error;
    }
    await next(ctx);
  };
}

/**
 * The `response` event, built from the request at once (before anything is awaited, so it records
 * the request as it stood when this stage finished) and then appended; for a request that never
 * went upstream, after its `request` event. The returned promise holds only the event, not the
 * request, while it waits for Redis.
 */
function writeResponse(
  recording: RequestRecording,
  ctx: RequestContext,
  tap: ReturnType<typeof tapResponse>,
  failure: unknown,
): Promise<void> {
  const forwarded = recording.requestWritten;
  const refused = failure === undefined ? undefined : statusFromError(failure).status;
  const status = refused?.code ?? ctx.status ?? ctx.res.statusCode;
  const event: ResponseEvent = {
    type: 'response',
    rid: recording.rid,
    status,
    durationMs: Math.round(Number(process.hrtime.bigint() - ctx.startedAt) / 1e4) / 100,
  };
  if (refused) event.message = refused.message;
  if (ctx.refusal) event.refusal = ctx.refusal;
  if (ctx.review) event.review = { id: ctx.review.id, state: ctx.review.outcome };
  const updates = recording.responseUpdates(ctx, status, forwarded);
  const body =
    !refused && tap.capture.size > 0
      ? {
          captured: tap.capture.finish(),
          meta: {
            contentType: tap.header('content-type'),
            contentEncoding: tap.header('content-encoding'),
            cap: recording.runtime.settings.bodyCap,
          },
          context: recording.bodyContext(ctx, ctx.info?.verb === 'watch', true),
        }
      : undefined;
  const requestEvent = forwarded ? undefined : recording.writeRequest(ctx, { inflight: false });
  return appendResponse(recording, event, updates, requestEvent, body);
}

async function appendResponse(
  recording: RequestRecording,
  event: ResponseEvent,
  updates: MetaUpdates,
  requestEvent: Promise<void> | undefined,
  body: { captured: CapturedBody; meta: BodyMeta; context: BodyContext } | undefined,
): Promise<void> {
  if (requestEvent) await requestEvent;
  if (body) {
    const record = await recordBody(body.captured, body.meta, body.context);
    if (record) event.body = record;
  }
  await recording.append(event, updates);
}
