import { snapshotCaller } from './caller-snapshot.ts';
import type { DecideInput, Decision, Grant, Review, ReviewState, SessionHeaders } from './review.types.ts';
import type { OpenReviewInput } from './review-store.types.ts';

/**
 * A review record as a Redis hash, and back.
 *
 * The part that never changes after creation is one JSON field (`data`); the fields the Lua
 * scripts read or write are plain hash fields, so no script has to re-encode JSON (Redis'
 * cjson turns an empty array into `{}`). Fields:
 *
 * | field              | written by      | holds                                            |
 * | ------------------ | --------------- | ------------------------------------------------ |
 * | id, fingerprint    | create          | identity of the record                           |
 * | data               | create          | {@link ReviewData} as JSON                        |
 * | state              | every script    | {@link ReviewState}                               |
 * | deadline, createdAt, updatedAt | create / all | epoch ms                              |
 * | minApprovals       | create          | copied from the rule for decide.lua              |
 * | decisions          | decide          | JSON array of {@link Decision}, appended in Lua   |
 * | decidedBy          | decide / cancel | who made the review final                        |
 * | grantKind, grantEnd, grantWindowSeconds | decide | the grant, once approved             |
 * | grantConsumedAt    | consume         | when a `once` grant was used                     |
 * | fpKey, windowKey   | create          | keys this record may own (detached on final)     |
 */

/** The immutable part of a review (its fields as in {@link Review}), stored as JSON in `data`. */
export type ReviewData = Pick<
  Review,
  'caller' | 'owner' | 'cluster' | 'info' | 'headers' | 'bodySummary' | 'rule' | 'impact'
>;

const MAX_SUMMARY = 4000;
const MAX_REASON = 500;
const MAX_IDENTITY = 256;

const STATES: ReadonlySet<string> = new Set(['pending', 'approved', 'rejected', 'expired', 'cancelled']);

/**
 * What of a new review's input is stored: the caller through the claim allowlist, the headers
 * worth showing, and length caps on free text so no request can bloat a record.
 */
export function reviewData(input: OpenReviewInput, claimAllowlist: readonly string[]): ReviewData {
  const headers: SessionHeaders = {};
  if (input.headers.command) headers.command = input.headers.command.slice(0, 200);
  if (input.headers.session) headers.session = input.headers.session.slice(0, 100);
  const data: ReviewData = {
    caller: snapshotCaller(input.caller, claimAllowlist),
    cluster: input.cluster,
    info: input.info,
    headers,
    bodySummary: input.bodySummary.slice(0, MAX_SUMMARY),
    rule: input.rule,
  };
  if (input.owner) data.owner = input.owner;
  if (input.impact) data.impact = input.impact;
  return data;
}

/** One approver's decision as recorded (reason capped; a window only on an approval). */
export function decisionRecord(input: DecideInput, now: number): Decision {
  const decision: Decision = { approver: input.approver.id, action: input.action, at: now, via: input.via };
  if (input.reason) decision.reason = input.reason.slice(0, MAX_REASON);
  if (input.action === 'approve' && input.windowSeconds) decision.windowSeconds = input.windowSeconds;
  decision.identity = approverIdentity(input.approver);
  return decision;
}

/** The approver as recorded and signed: only these fields, strings only, groups capped. */
function approverIdentity(approver: DecideInput['approver']): Decision['identity'] & object {
  const identity: NonNullable<Decision['identity']> = {
    id: approver.id.slice(0, MAX_IDENTITY),
    groups: approver.groups.slice(0, 64).map((group) => group.slice(0, MAX_IDENTITY)),
  };
  if (approver.issuer) identity.issuer = approver.issuer.slice(0, MAX_IDENTITY);
  if (approver.subject) identity.subject = approver.subject.slice(0, MAX_IDENTITY);
  if (approver.email) identity.email = approver.email.slice(0, MAX_IDENTITY);
  return identity;
}

export function encodeData(data: ReviewData): string {
  return JSON.stringify(data);
}

/** The JSON of one decision as decide.lua appends it (absent optional fields left out). */
export function encodeDecision(decision: Decision): string {
  return JSON.stringify(decision);
}

/**
 * Rebuilds a review from its hash fields, or `undefined` when the hash is empty (gone). Records
 * are written only by this module, so the JSON parts are trusted to have the shapes above.
 */
export function decodeReview(fields: Record<string, string>): Review | undefined {
  const { id, fingerprint, data, state } = fields;
  if (id === undefined || fingerprint === undefined || data === undefined || state === undefined) {
    return undefined;
  }
  if (!STATES.has(state)) throw new TypeError(`review ${id} has unknown state ${state}`);
  const parsed = JSON.parse(data) as ReviewData;
  const review: Review = {
    id,
    fingerprint,
    state: state as ReviewState,
    caller: parsed.caller,
    cluster: parsed.cluster,
    info: parsed.info,
    headers: parsed.headers,
    bodySummary: parsed.bodySummary,
    rule: parsed.rule,
    decisions: JSON.parse(fields['decisions'] ?? '[]') as Decision[],
    deadline: Number(fields['deadline']),
    createdAt: Number(fields['createdAt']),
    updatedAt: Number(fields['updatedAt']),
  };
  if (parsed.owner !== undefined) review.owner = parsed.owner;
  if (parsed.impact !== undefined) review.impact = parsed.impact;
  if (fields['decidedBy']) review.decidedBy = fields['decidedBy'];
  const grant = decodeGrant(fields);
  if (grant) review.grant = grant;
  return review;
}

/** {@link decodeReview} for a reply that must hold a record (a script just wrote it). */
export function mustDecode(fields: Record<string, string>): Review {
  const review = decodeReview(fields);
  if (!review) throw new TypeError('approvals script returned no record');
  return review;
}

function decodeGrant(fields: Record<string, string>): Grant | undefined {
  const end = Number(fields['grantEnd']);
  if (fields['grantKind'] === 'window') {
    return { kind: 'window', windowSeconds: Number(fields['grantWindowSeconds']), windowEnd: end };
  }
  if (fields['grantKind'] === 'once') {
    const grant: Grant = { kind: 'once', expiresAt: end };
    if (fields['grantConsumedAt'] !== undefined) grant.consumedAt = Number(fields['grantConsumedAt']);
    return grant;
  }
  return undefined;
}

/** Whether a review's grant lets a request through at `now` (approved, unused, not over). */
export function grantUsable(review: Review, now: number): boolean {
  const grant = review.grant;
  if (review.state !== 'approved' || grant === undefined) return false;
  if (grant.kind === 'window') return now < grant.windowEnd;
  return grant.consumedAt === undefined && now < grant.expiresAt;
}
