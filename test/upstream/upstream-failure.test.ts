/**
 * What a failure to reach a cluster becomes for the agent (gateway/upstream/errors.ts), for the
 * errors Node's agent and undici's pool actually raise: a timeout of either is a 504 whichever
 * timer fires first (the gateway's own and the pool's connect timeout are both upstreamTimeout),
 * an unreachable cluster a 503, anything else a 502.
 */
import { errors } from 'undici';
import { describe, expect, it } from 'vitest';
import { UpstreamTimeoutError, upstreamFailure } from '../../gateway/upstream/errors.ts';

const withCode = (code: string) => Object.assign(new Error(code), { code });

describe('upstream failures as Status', () => {
  it.each([
    ['the gateway gave up waiting', new UpstreamTimeoutError()],
    ["undici's connect timeout", new errors.ConnectTimeoutError()],
    ["undici's header timeout", new errors.HeadersTimeoutError()],
    ['a TCP timeout', withCode('ETIMEDOUT')],
  ])('%s → 504 Timeout', (_what, error) => {
    const status = upstreamFailure(error, 'prod');
    expect([status.code, status.reason]).toEqual([504, 'Timeout']);
    expect(status.message).toContain('cluster "prod" did not answer in time');
  });

  it.each(['ECONNREFUSED', 'EHOSTUNREACH', 'ENOTFOUND'])('%s → 503, no Retry-After', (code) => {
    const status = upstreamFailure(withCode(code), 'prod');
    expect([status.code, status.reason]).toEqual([503, 'ServiceUnavailable']);
    expect(status.headers['retry-after']).toBeUndefined();
  });

  it.each([
    ['a socket closed mid-answer', new errors.SocketError('other side closed')],
    ['a malformed answer', withCode('HPE_INVALID_CONSTANT')],
    ['a certificate the gateway does not trust', withCode('UNABLE_TO_VERIFY_LEAF_SIGNATURE')],
  ])('%s → 502 naming the cluster', (_what, error) => {
    const status = upstreamFailure(error, 'prod');
    expect(status.code).toBe(502);
    expect(status.message).toContain('cluster "prod"');
  });
});
