import type { Caller } from '../authn/caller.ts';
import type { CallerSnapshot } from './review.types.ts';

/**
 * What of a caller goes into a review record. A JWT's claims may carry anything an issuer chose
 * to put there, including tokens; Redis is readable by every replica and the bot, so only the
 * claims named in an allowlist are copied, only scalar or string-list values, and each value
 * is length-capped. The bearer token itself is never part of a Caller, let alone a record.
 */

/**
 * Claims worth showing an approver by default: CI provenance (GitHub Actions and GitLab names),
 * client identity, and an AWS agent's ARN. Deployments extend or replace it (`claimAllowlist`).
 */
export const DEFAULT_CLAIM_ALLOWLIST: readonly string[] = [
  'actor',
  'repository',
  'workflow',
  'job_workflow_ref',
  'ref',
  'run_id',
  'event_name',
  'project_path',
  'pipeline_id',
  'user_login',
  'azp',
  'client_id',
  'email',
  'name',
  // AWS IAM agents (gateway/authn/aws/arn-mapping.ts): the role or user ARN and the session.
  'arn',
  'accountId',
  'sessionName',
];

/** Longest claim value copied; longer strings are cut, so a blob can never ride along. */
const MAX_CLAIM_LENGTH = 256;
const MAX_LIST_ITEMS = 32;

/**
 * The caller as stored: identity, groups, the allowlisted claims, and the caller's context claims
 * (the issuer's `contextClaims`, which the operator chose to show; nested ones under their dotted
 * name, e.g. `kubernetes.io.namespace`), so review cards, `reviews show` and recordings name the
 * pipeline a call came from.
 */
export function snapshotCaller(caller: Caller, allowlist: readonly string[]): CallerSnapshot {
  const claims: CallerSnapshot['claims'] = {};
  for (const name of allowlist) {
    const value: unknown = caller.claims[name];
    const kept = keepClaim(value);
    if (kept !== undefined) claims[name] = kept;
  }
  for (const [name, value] of Object.entries(caller.context ?? {})) {
    claims[name] ??= value.slice(0, MAX_CLAIM_LENGTH);
  }
  return { issuer: caller.issuer, subject: caller.subject, groups: [...caller.groups], claims };
}

/**
 * The requester's owner: the value of `claim` (e.g. `actor` for a GitHub Actions job) when it is
 * a non-empty string. Used to refuse self-approval by the person who started the job.
 */
export function ownerFrom(caller: Caller, claim: string | undefined): string | undefined {
  if (!claim) return undefined;
  const value: unknown = caller.claims[claim];
  return typeof value === 'string' && value !== '' ? value.slice(0, MAX_CLAIM_LENGTH) : undefined;
}

function keepClaim(value: unknown): string | number | boolean | string[] | undefined {
  if (typeof value === 'string') return value.slice(0, MAX_CLAIM_LENGTH);
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) {
    return value.slice(0, MAX_LIST_ITEMS).map((item: string) => item.slice(0, MAX_CLAIM_LENGTH));
  }
  return undefined;
}
