import { describe, expect, it } from 'vitest';
import { presignEksToken } from '../../gateway/upstream/credentials/eks-token-presign.ts';
import { arnPatternMatches, principalOfArn } from '../../src/aws/arn.ts';
import { EKS_TOKEN_PREFIX, EksTokenError, isAwsStsHost, parseEksToken } from '../../src/aws/eks-token.ts';

/** The checks made on an EKS token before anything is sent to STS: each one is tried on its own. */

const credentials = { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret' };
const NOW = Date.UTC(2026, 0, 2, 3, 4, 5);
const at = (offsetMs: number) => new Date(NOW + offsetMs);
const rules = { clusterId: 'gw-1', now: NOW };

async function token(options: Partial<Parameters<typeof presignEksToken>[0]> = {}): Promise<string> {
  return presignEksToken({
    clusterName: 'gw-1',
    region: 'eu-west-1',
    credentials,
    stsEndpoint: 'https://sts.eu-west-1.amazonaws.com',
    signingDate: at(0),
    ...options,
  });
}
const urlOf = (t: string) => new URL(Buffer.from(t.slice(EKS_TOKEN_PREFIX.length), 'base64url').toString());
const tokenOf = (url: URL | string) => EKS_TOKEN_PREFIX + Buffer.from(String(url)).toString('base64url');
const refusal = (t: string, r: Parameters<typeof parseEksToken>[1] = rules) => {
  try {
    parseEksToken(t, r);
  } catch (error) {
    expect(error).toBeInstanceOf(EksTokenError);
    return (error as Error).message;
  }
  throw new Error('accepted');
};

describe('EKS token', () => {
  it('accepts what aws eks get-token makes, valid for 15 minutes from X-Amz-Date', async () => {
    const parsed = parseEksToken(await token(), rules);
    expect(parsed.url.host).toBe('sts.eu-west-1.amazonaws.com');
    expect(parsed.url.searchParams.get('X-Amz-SignedHeaders')).toBe('host;x-k8s-aws-id');
    expect(parsed.expiresAtMs).toBe(NOW + 15 * 60_000);
    expect(parseEksToken(await token(), { ...rules, now: NOW + 15 * 60_000 - 1 })).toBeTruthy();
  });

  it('refuses a token 15 minutes old, and one signed in the future beyond the skew', async () => {
    expect(refusal(await token(), { ...rules, now: NOW + 15 * 60_000 })).toMatch(/expired/);
    expect(refusal(await token({ signingDate: at(61_000) }))).toMatch(/future/);
    expect(parseEksToken(await token({ signingDate: at(59_000) }), rules)).toBeTruthy();
  });

  it('refuses a token whose signature does not cover x-k8s-aws-id', async () => {
    expect(refusal(await token({ signedHeaders: 'host' }))).toMatch(/does not sign the x-k8s-aws-id header/);
  });

  it('only sends to AWS STS hosts over https on the default port, unless an origin is configured', async () => {
    expect(refusal(await token({ stsEndpoint: 'http://127.0.0.1:8080' }))).toMatch(/not an AWS STS endpoint/);
    expect(refusal(await token({ stsEndpoint: 'https://sts.eu-west-1.amazonaws.com:444' }))).toMatch(
      /not an AWS/,
    );
    expect(refusal(await token({ stsEndpoint: 'http://sts.eu-west-1.amazonaws.com' }))).toMatch(/not an AWS/);
    expect(refusal(await token({ stsEndpoint: 'https://sts.eu-west-1.amazonaws.com.evil.example' }))).toMatch(
      /not an AWS/,
    );
    const local = await token({ stsEndpoint: 'http://127.0.0.1:8080' });
    expect(parseEksToken(local, { ...rules, extraOrigins: ['http://127.0.0.1:8080'] })).toBeTruthy();
    expect(refusal(local, { ...rules, extraOrigins: ['http://127.0.0.1:8081'] })).toMatch(/not an AWS/);
    for (const host of [
      'sts.amazonaws.com',
      'sts.us-east-1.amazonaws.com',
      'sts-fips.us-gov-west-1.amazonaws.com',
      'sts.cn-north-1.amazonaws.com.cn',
    ])
      expect(isAwsStsHost(host), host).toBe(true);
    for (const host of [
      'sts.amazonaws.com.evil',
      'evil.sts.amazonaws.com',
      'sts.us_east-1.amazonaws.com',
      's3.amazonaws.com',
    ])
      expect(isAwsStsHost(host), host).toBe(false);
  });

  it('refuses another action, a repeated or unknown parameter, a long X-Amz-Expires, a path', async () => {
    const url = urlOf(await token());
    const variant = (edit: (u: URL) => void) => {
      const u = new URL(url);
      edit(u);
      return tokenOf(u);
    };
    expect(refusal(variant((u) => u.searchParams.set('Action', 'AssumeRole')))).toMatch(/GetCallerIdentity/);
    expect(refusal(variant((u) => u.searchParams.append('Action', 'GetCallerIdentity')))).toMatch(/repeats/);
    expect(refusal(variant((u) => u.searchParams.set('RoleArn', 'x')))).toMatch(/unexpected parameter/);
    expect(refusal(variant((u) => u.searchParams.set('X-Amz-Expires', '901')))).toMatch(/X-Amz-Expires/);
    expect(refusal(variant((u) => u.searchParams.delete('X-Amz-Signature')))).toMatch(/X-Amz-Signature/);
    expect(refusal(variant((u) => u.searchParams.set('X-Amz-Date', '20260230T000000Z')))).toMatch(
      /X-Amz-Date/,
    );
    expect(
      refusal(
        variant((u) => {
          u.pathname = '/x';
        }),
      ),
    ).toMatch(/path/);
    expect(
      refusal(
        variant((u) => {
          u.username = 'a';
        }),
      ),
    ).toMatch(/credentials/);
  });

  it('refuses what is not base64url of a URL, and oversized tokens', () => {
    expect(refusal('k8s-aws-v1.aHR0cHM6Ly9zdHMuYW1hem9uYXdzLmNvbS8=')).toMatch(/base64url/);
    expect(refusal('k8s-aws-v1.bm90IGEgdXJs')).toMatch(/URL/);
    expect(refusal(`k8s-aws-v1.${'A'.repeat(20_000)}`)).toMatch(/too large/);
    expect(refusal('eyJhbGciOi.x.y')).toMatch(/not an EKS token/);
  });

  it('never puts the signature into a message', async () => {
    const t = await token({ signedHeaders: 'host' });
    const signature = urlOf(t).searchParams.get('X-Amz-Signature') ?? '';
    expect(refusal(t)).not.toContain(signature);
  });
});

describe('ARN normalisation', () => {
  it('maps an assumed role to its role and keeps the session name', () => {
    expect(principalOfArn('arn:aws:sts::123456789012:assumed-role/agents-ci/build-42')).toEqual({
      arn: 'arn:aws:iam::123456789012:role/agents-ci',
      callerArn: 'arn:aws:sts::123456789012:assumed-role/agents-ci/build-42',
      accountId: '123456789012',
      sessionName: 'build-42',
    });
    expect(principalOfArn('arn:aws:iam::123456789012:user/alice')?.arn).toBe(
      'arn:aws:iam::123456789012:user/alice',
    );
    expect(principalOfArn('arn:aws-cn:sts::123456789012:assumed-role/r/s')?.arn).toBe(
      'arn:aws-cn:iam::123456789012:role/r',
    );
    for (const bad of [
      'arn:aws:s3:::bucket',
      'arn:aws:sts::123:assumed-role/r/s',
      'arn:aws:sts::123456789012:assumed-role/r',
      'x',
    ])
      expect(principalOfArn(bad), bad).toBeUndefined();
  });

  it('matches patterns with * and nothing else special', () => {
    expect(
      arnPatternMatches(
        'arn:aws:iam::123456789012:role/agents-*',
        'arn:aws:iam::123456789012:role/agents-ci',
      ),
    ).toBe(true);
    expect(
      arnPatternMatches('arn:aws:iam::123456789012:role/agents-*', 'arn:aws:iam::123456789012:role/admin'),
    ).toBe(false);
    expect(
      arnPatternMatches('arn:aws:iam::123456789012:role/a.c', 'arn:aws:iam::123456789012:role/abc'),
    ).toBe(false);
    expect(arnPatternMatches('arn:aws:iam::1234:role/x', 'arn:aws:iam::1234:role/x-admin')).toBe(false);
  });
});
