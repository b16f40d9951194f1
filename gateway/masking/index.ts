/**
 * Masking, as the proxy sees it: three calls per request. Everything else in this folder (the
 * scanner, the body maskers) and in src/masking (the pure object and text rules) is behind them.
 *
 * ```ts
 * const plan = planMasking(info, caller, policy, req.method);      // cheap; runs on every request
 * if (plan) {
 *   headers.accept = upstreamAcceptFor(plan, req.headers.accept);   // JSON, never protobuf
 *   headers['accept-encoding'] = 'gzip';                             // or drop it; both are decoded
 * }
 * // …upstream answers…
 * if (!plan) return pipeline(upstreamRes, res);                       // untouched, zero cost
 * const masker = createResponseMasker(plan, {
 *   statusCode: upstreamRes.statusCode, contentType: upstreamRes.headers['content-type'],
 *   contentEncoding: upstreamRes.headers['content-encoding'],
 *   isWatch: info.verb === 'watch', isFollowLog: query.follow === 'true',
 *   literals: session.secretValues, onMaskedValue: (plain) => session.secretValues.add(plain),
 * });
 * // Drop Content-Encoding and Content-Length from the response head; the output is plain and its
 * // length unknown (chunked). Write the head on the masker's first 'data' (or at its 'end'): an
 * // 'error' before then is a StatusError to answer as a Status (502) instead.
 * pipeline(upstreamRes, masker, res); masker.maskedCount();           // for the recording
 * ```
 *
 * Contract:
 * - `planMasking` returns null for everything that needs no masking (discovery, openapi, other
 *   resources, HEAD); the response then streams through untouched.
 * - `createResponseMasker` never emits bytes of a piece (object, list element, watch event) it
 *   could not fully read and mask; on such a failure it is destroyed with a 502 `StatusError`.
 *   Watch events and log lines are emitted as soon as they are complete — never held for the next.
 * - Non-2xx responses pass through unmasked (decoded): they are Status objects.
 * - Memory: one object, list element, watch event or log line at a time, capped by
 *   `masking.limits` (maxObjectBytes, maxLineBytes); a larger piece fails closed with a 502.
 * - `unmaskedSecretsRule` tells the recorder when a caller's rule let Secret values through raw.
 */
export type { CompiledMaskingPolicy, MaskingRules } from '../../src/masking/policy.ts';
export { upstreamAcceptFor } from './accept.ts';
export { type MaskPlan, planMasking, unmaskedSecretsRule } from './plan.ts';
export {
  createResponseMasker,
  type ResponseMasker,
  type ResponseMaskerOptions,
} from './response-masker.ts';
