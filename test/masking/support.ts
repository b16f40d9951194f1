/**
 * Test support for masking: request infos, callers, and a driver that pushes chunks through a
 * response masker and collects what came out (and the error, if it failed).
 */

import {
  createResponseMasker,
  type MaskPlan,
  planMasking,
  type ResponseMaskerOptions,
} from '../../gateway/masking/index.ts';
import type { Caller } from '../../src/authn/caller.ts';
import type { StatusError } from '../../src/errors.ts';
import { type CompiledMaskingPolicy, compileMaskingPolicy } from '../../src/masking/policy.ts';
import type { RequestInfo } from '../../src/request/request-info.types.ts';

export const defaultPolicy: CompiledMaskingPolicy = compileMaskingPolicy(undefined);

export function caller(groups: string[] = []): Caller {
  return { issuer: 'https://issuer.test', subject: 'agent-1', groups, claims: {} };
}

/** A resource request info; the group is derived from the resource unless given. */
export function requestInfo(overrides: Partial<RequestInfo> & { resource: string }): RequestInfo {
  const appsResources = ['deployments', 'replicasets', 'statefulsets', 'daemonsets'];
  const batchResources = ['jobs', 'cronjobs'];
  const apiGroup = appsResources.includes(overrides.resource)
    ? 'apps'
    : batchResources.includes(overrides.resource)
      ? 'batch'
      : '';
  return {
    isResourceRequest: true,
    path: '/',
    verb: 'get',
    apiPrefix: apiGroup === '' ? 'api' : 'apis',
    apiGroup,
    apiVersion: 'v1',
    namespace: 'default',
    subresource: '',
    name: '',
    parts: [],
    ...overrides,
  };
}

/** The plan for `resource` under `policy` for `groups`; fails the test when there is none. */
export function planFor(
  resource: string,
  overrides: Partial<RequestInfo> = {},
  policy: CompiledMaskingPolicy = defaultPolicy,
  groups: string[] = [],
): MaskPlan {
  const plan = planMasking(requestInfo({ resource, ...overrides }), caller(groups), policy, 'GET');
  if (plan === null) throw new Error(`no masking plan for ${resource}`);
  return plan;
}

export interface MaskRun {
  output: Buffer;
  error: StatusError | undefined;
  count: number;
}

/** Writes `chunks` into a masker (awaiting each write) and collects output until end or error. */
export async function runMasker(
  plan: MaskPlan,
  chunks: readonly Buffer[],
  options: Partial<ResponseMaskerOptions> = {},
): Promise<MaskRun> {
  const masker = createResponseMasker(plan, {
    statusCode: 200,
    contentType: 'application/json',
    contentEncoding: undefined,
    ...options,
  });
  const out: Buffer[] = [];
  masker.on('data', (chunk: Buffer) => out.push(chunk));
  const done = new Promise<StatusError | undefined>((resolve) => {
    masker.on('end', () => resolve(undefined));
    masker.on('error', (error) => resolve(error as StatusError));
  });
  for (const chunk of chunks) {
    if (masker.destroyed) break;
    await Promise.race([new Promise<void>((resolve) => masker.write(chunk, () => resolve())), done]);
  }
  if (!masker.destroyed) masker.end();
  const error = await done;
  return { output: Buffer.concat(out), error, count: masker.maskedCount() };
}

/** Splits `bytes` at the given offsets (sorted, deduplicated, in range). */
export function splitAt(bytes: Buffer, offsets: readonly number[]): Buffer[] {
  const cuts = [...new Set(offsets.map((o) => Math.min(Math.max(o, 0), bytes.length)))].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let last = 0;
  for (const cut of cuts) {
    if (cut > last) parts.push(bytes.subarray(last, cut));
    last = cut;
  }
  if (last < bytes.length) parts.push(bytes.subarray(last));
  return parts;
}

/** Splits `bytes` into chunks of `size`. */
export function chunksOf(bytes: Buffer, size: number): Buffer[] {
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
  return parts;
}
