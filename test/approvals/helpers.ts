import { randomBytes } from 'node:crypto';
import { fingerprint } from '../../src/approvals/fingerprint.ts';
import { parseReviewRule, type ReviewRuleInput } from '../../src/approvals/review-rule.ts';
import { ReviewStore } from '../../src/approvals/review-store.ts';
import type { OpenReviewInput, ReviewStoreOptions } from '../../src/approvals/review-store.types.ts';
import { whenReady } from '../../src/approvals/unavailable-error.ts';
import type { Caller } from '../../src/authn/caller.ts';
import { createRequestConnection, type RedisConnection } from '../../src/queues/connections.ts';
import type { RequestInfo } from '../../src/request/request-info.types.ts';
import { deleteKeys, REDIS_URL } from '../support/redis.ts';

/**
 * Shared set-up for the approvals tests: every test gets a fresh key prefix (and queue prefix),
 * its own connections, and a cleanup that deletes what it wrote, so tests never collide, run in
 * any order, and leave the real Redis as they found it.
 */
export function freshPrefix(label: string): string {
  return `test:${label}:${randomBytes(5).toString('hex')}`;
}

export const CALLER: Caller = {
  issuer: 'https://issuer.test',
  subject: 'agent-1',
  groups: ['agents'],
  claims: { actor: 'alice', repository: 'org/repo', access_token: 'sekret-token-value', iss: 'x' },
};

export const INFO: RequestInfo = {
  isResourceRequest: true,
  path: '/api/v1/namespaces/prod/pods/web-1',
  verb: 'delete',
  apiPrefix: 'api',
  apiGroup: '',
  apiVersion: 'v1',
  namespace: 'prod',
  resource: 'pods',
  subresource: '',
  name: 'web-1',
  parts: ['pods', 'web-1'],
};

export function rule(overrides: Partial<ReviewRuleInput> = {}) {
  return parseReviewRule({
    name: 'prod-deletes',
    message: 'Deleting in prod needs a human.',
    approvers: { users: ['bob', 'carol', 'dave', 'alice'], groups: ['sre'] },
    ...overrides,
  });
}

export function fp(body = 'x', subject = CALLER.subject): string {
  return fingerprint({
    identity: { issuer: CALLER.issuer, subject },
    cluster: 'prod',
    method: 'DELETE',
    path: INFO.path,
    query: '',
    body,
  });
}

export function openInput(overrides: Partial<OpenReviewInput> = {}): OpenReviewInput {
  return {
    fingerprint: fp(),
    caller: CALLER,
    cluster: 'prod',
    info: INFO,
    headers: { command: 'kubectl delete', session: '6f1c' },
    bodySummary: '(no body)',
    rule: rule(),
    owner: 'alice',
    ...overrides,
  };
}

export interface Harness {
  prefix: string;
  redis: RedisConnection;
  store: ReviewStore;
  cleanup(): Promise<void>;
}

/** A store on a fresh prefix with its own fail-fast connection; `cleanup` deletes its keys. */
export async function harness(label: string, options: Partial<ReviewStoreOptions> = {}): Promise<Harness> {
  const prefix = freshPrefix(label);
  const redis = createRequestConnection({ url: REDIS_URL });
  const store = new ReviewStore({ connection: redis, prefix, ...options });
  return {
    prefix,
    redis,
    store,
    async cleanup() {
      await store.close();
      await whenReady(redis, 5000);
      await deleteKeys(redis, `${prefix}:*`);
      redis.disconnect();
    },
  };
}
