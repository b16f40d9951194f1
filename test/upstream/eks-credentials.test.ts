import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STSClient } from '@aws-sdk/client-sts';
import { type AwsStandIn, startAwsStandIn } from '@hoop-gateway/sandbox/aws/aws-stand-in';
import { AGENT_USER, GATEWAY_USER, TEST_ROLES } from '@hoop-gateway/sandbox/aws/test-identities';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assumeRoleCredentials,
  awsSessionName,
  awsTagValue,
} from '../../gateway/upstream/credentials/aws-credentials.ts';
import { createEksTokenSource } from '../../gateway/upstream/credentials/eks-token-source.ts';
import { parseEksToken } from '../../src/aws/eks-token.ts';
import { StatusError } from '../../src/errors.ts';

/** The gateway's own EKS tokens and AWS sessions: renewal, sharing, bounds, failures. */

let sts: AwsStandIn;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hoop-eks-cred-'));
  sts = await startAwsStandIn({ users: [AGENT_USER, GATEWAY_USER], roles: TEST_ROLES });
});
afterAll(async () => {
  await sts.close();
  await rm(dir, { recursive: true, force: true });
});

const gatewayKeys = async () => ({
  accessKeyId: GATEWAY_USER.accessKeyId,
  secretAccessKey: GATEWAY_USER.secretAccessKey,
});

describe('EKS token source', () => {
  it('makes a token bound to the cluster, renews it after 14 minutes, shares concurrent renewals', async () => {
    let now = Date.UTC(2030, 0, 1);
    let made = 0;
    const source = createEksTokenSource({
      clusterName: 'prod-eks',
      region: 'eu-west-1',
      credentialsFor: () => async () => {
        made++;
        return gatewayKeys();
      },
      stsEndpoint: 'https://sts.eu-west-1.amazonaws.com',
      now: () => now,
    });
    const [a, b] = await Promise.all([source.token(''), source.token('')]);
    expect(a).toBe(b);
    expect(made).toBe(1);
    expect(parseEksToken(a, { clusterId: 'prod-eks', now }).url.host).toBe('sts.eu-west-1.amazonaws.com');
    now += 14 * 60_000 - 1;
    expect(await source.token('')).toBe(a);
    now += 1;
    const c = await source.token('');
    expect(c).not.toBe(a);
    expect(made).toBe(2);
  });

  it('renews before the credentials expire when they expire first', async () => {
    let now = Date.UTC(2030, 0, 1);
    let made = 0;
    const source = createEksTokenSource({
      clusterName: 'c',
      region: 'eu-west-1',
      credentialsFor: () => async () => {
        made++;
        return { ...(await gatewayKeys()), expiration: new Date(now + 5 * 60_000) };
      },
      stsEndpoint: 'https://sts.eu-west-1.amazonaws.com',
      now: () => now,
    });
    await source.token('');
    now += 4 * 60_000 - 1;
    await source.token('');
    expect(made).toBe(1);
    now += 1;
    await source.token('');
    expect(made).toBe(2);
  });

  it('drops a refused token and its credentials, once; keeps at most maxEntries keys', async () => {
    const forgotten: string[] = [];
    const source = createEksTokenSource({
      clusterName: 'c',
      region: 'eu-west-1',
      credentialsFor: () => gatewayKeys,
      forget: (key) => forgotten.push(key),
      maxEntries: 2,
      stsEndpoint: 'https://sts.eu-west-1.amazonaws.com',
    });
    const t = await source.token('a');
    source.invalidate('a', 'an-older-token');
    expect(forgotten).toEqual([]);
    source.invalidate('a', t);
    expect(forgotten).toEqual(['a']);
    await source.token('a');
    await source.token('b');
    await source.token('c');
    expect(source.size).toBe(2);
    expect(forgotten).toEqual(['a', 'a']);
  });
});

describe('assumed-role credentials', () => {
  const client = () => new STSClient({ region: 'us-east-1', endpoint: sts.url, credentials: gatewayKeys });

  it('assumes the role with external id and tags, renews 5 minutes before expiry, shares concurrent calls', async () => {
    let now = Date.now();
    const provider = assumeRoleCredentials(
      gatewayKeys,
      {
        region: 'us-east-1',
        roleArn: sts.roleArn('eks-access'),
        externalId: 'hoop-test-external-id',
        sessionName: 'hoop-gateway',
        tags: { 'hoop-agent': 'agent-1' },
        sourceIdentity: 'agent-1',
        cluster: 'c',
      },
      { now: () => now, client: client() },
    );
    const before = sts.calls.length;
    const [a, b] = await Promise.all([provider(), provider()]);
    expect(a.accessKeyId).toBe(b.accessKeyId);
    expect(a.accessKeyId).toMatch(/^ASIA/);
    expect(sts.calls.length).toBe(before + 1);
    expect(sts.calls.at(-1)).toMatchObject({ tags: { 'hoop-agent': 'agent-1' }, sourceIdentity: 'agent-1' });
    now += 54 * 60_000; // the session lasts an hour: 6 minutes left
    expect((await provider()).accessKeyId).toBe(a.accessKeyId);
    now += 2 * 60_000; // 4 minutes left: renewed
    expect((await provider()).accessKeyId).not.toBe(a.accessKeyId);
  });

  it('a refused AssumeRole (wrong external id) is a 503 naming the role and AccessDenied, not cached', async () => {
    const provider = assumeRoleCredentials(
      gatewayKeys,
      {
        region: 'us-east-1',
        roleArn: sts.roleArn('eks-access'),
        externalId: 'wrong',
        sessionName: 'gw',
        cluster: 'prod',
      },
      { client: client() },
    );
    const error = await provider().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StatusError);
    expect((error as StatusError).code).toBe(503);
    expect((error as StatusError).message).toMatch(/eks-access.*"prod".*AccessDenied/);
  });

  it('turns any agent name into a valid, distinct session name and tag value', () => {
    expect(awsSessionName('agent-ci')).toBe('agent-ci');
    const odd = awsSessionName('system:serviceaccount:ci/deployer with spaces');
    expect(odd).toMatch(/^[\w+=,.@-]{2,64}$/);
    expect(awsSessionName('a:b')).not.toBe(awsSessionName('a/b'));
    expect(awsSessionName('x'.repeat(100))).toHaveLength(64);
    expect(awsSessionName('x')).toMatch(/^x-[0-9a-f]{8}$/);
    expect(awsTagValue('spiffe://a/b c')).toBe('spiffe://a/b c');
    expect(awsTagValue('a#b')).toBe('a-b');
  });
});

describe('the default credential chain', () => {
  it('IRSA: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN become role credentials through STS', async () => {
    const { fromNodeProviderChain } = await import('@aws-sdk/credential-providers');
    const tokenFile = join(dir, 'web-identity-token');
    await writeFile(tokenFile, 'irsa-test-web-identity-token');
    const saved = { ...process.env };
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE'])
      delete process.env[name];
    Object.assign(process.env, {
      AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
      AWS_ROLE_ARN: sts.roleArn('hoop-gateway-irsa'),
      AWS_ROLE_SESSION_NAME: 'irsa-test',
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_STS: sts.url,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: join(dir, 'absent-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'absent-credentials'),
    });
    try {
      const credentials = await fromNodeProviderChain()();
      expect(credentials.accessKeyId).toMatch(/^ASIA/);
      expect(sts.calls.at(-1)).toMatchObject({ action: 'AssumeRoleWithWebIdentity', outcome: 'ok' });
    } finally {
      process.env = saved;
    }
  });
});
