import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { type AwsStandIn, startAwsStandIn } from '@hoop-gateway/sandbox/aws/aws-stand-in';
import {
  AGENT_USER,
  GATEWAY_USER,
  STRANGER_USER,
  TEST_ROLES,
} from '@hoop-gateway/sandbox/aws/test-identities';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsAuthenticator } from '../../gateway/authn/aws/aws-authenticator.ts';
import { getCallerIdentity } from '../../gateway/authn/aws/sts-caller-identity.ts';
import { presignEksToken } from '../../gateway/upstream/credentials/eks-token-presign.ts';
import { awsAuthenticationSchema } from '../../src/config/aws-authentication.ts';
import { StatusError } from '../../src/errors.ts';
import { awsEksToken, findAwsCli, tokenHost } from '../support/aws-cli.ts';

/**
 * The AWS IAM authenticator against the STS stand-in (which checks SigV4 as AWS does), with
 * tokens from the real AWS CLI and from the SDK's signer, and forged ones.
 */

let sts: AwsStandIn;
let dir: string;
const GATEWAY_ID = 'hoop-gw-test';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hoop-aws-'));
  sts = await startAwsStandIn({ users: [AGENT_USER, GATEWAY_USER, STRANGER_USER], roles: TEST_ROLES });
});
afterAll(async () => {
  await sts.close();
  await rm(dir, { recursive: true, force: true });
});

function authenticator(extra: Record<string, unknown> = {}, options = {}) {
  const config = awsAuthenticationSchema.parse({
    gatewayId: GATEWAY_ID,
    stsEndpoints: [sts.url],
    mappings: [
      {
        arn: `arn:aws:iam::${sts.accountId}:role/agents-*`,
        username: 'aws:{{SessionName}}',
        groups: ['ai-agents'],
      },
      { arn: sts.userArn(AGENT_USER.name), username: 'agent-ci', groups: ['ci', 'acct-{{AccountID}}'] },
    ],
    ...extra,
  });
  return createAwsAuthenticator(config, options);
}

const sdkToken = (user = AGENT_USER, options: Partial<Parameters<typeof presignEksToken>[0]> = {}) =>
  presignEksToken({
    clusterName: GATEWAY_ID,
    region: 'us-east-1',
    credentials: { accessKeyId: user.accessKeyId, secretAccessKey: user.secretAccessKey },
    stsEndpoint: sts.url,
    ...options,
  });

async function refusal(promise: Promise<unknown>): Promise<StatusError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StatusError);
  return error as StatusError;
}

describe('AWS IAM authenticator', () => {
  it('accepts a token from the real AWS CLI and maps the user ARN', async () => {
    const cli = await findAwsCli();
    const token = await awsEksToken(AGENT_USER, GATEWAY_ID, sts.url, dir);
    // CLI v1 / recent v2 honour AWS_ENDPOINT_URL_STS; Debian's 2.9 signs for AWS's host.
    const viaStandIn = tokenHost(token) === new URL(sts.url).host;
    const auth = authenticator(viaStandIn ? {} : { stsConnectTo: sts.url });
    const caller = await auth.authenticate(token);
    expect(caller, cli.version).toMatchObject({
      issuer: 'aws-iam',
      subject: 'agent-ci',
      groups: ['ci', `acct-${sts.accountId}`],
      claims: { arn: sts.userArn(AGENT_USER.name), accountId: sts.accountId },
    });
    expect(sts.calls.at(-1)).toMatchObject({
      action: 'GetCallerIdentity',
      clusterId: GATEWAY_ID,
      outcome: 'ok',
    });
  });

  it('maps an assumed role to its role and fills {{SessionName}}', async () => {
    const client = new STSClient({
      region: 'us-east-1',
      endpoint: sts.url,
      credentials: { accessKeyId: AGENT_USER.accessKeyId, secretAccessKey: AGENT_USER.secretAccessKey },
    });
    const assumed = await client.send(
      new AssumeRoleCommand({ RoleArn: sts.roleArn('agents-deploy'), RoleSessionName: 'build-42' }),
    );
    const c = assumed.Credentials!;
    const token = await presignEksToken({
      clusterName: GATEWAY_ID,
      region: 'us-east-1',
      credentials: {
        accessKeyId: c.AccessKeyId!,
        secretAccessKey: c.SecretAccessKey!,
        sessionToken: c.SessionToken!,
      },
      stsEndpoint: sts.url,
    });
    const caller = await authenticator().authenticate(token);
    expect(caller).toMatchObject({
      subject: 'aws:build-42',
      groups: ['ai-agents'],
      claims: {
        arn: sts.roleArn('agents-deploy'),
        callerArn: `arn:aws:sts::${sts.accountId}:assumed-role/agents-deploy/build-42`,
        sessionName: 'build-42',
      },
    });
  });

  it('refuses a forged signature and unknown keys (401), as STS says', async () => {
    const forged = await sdkToken({ ...AGENT_USER, secretAccessKey: 'not-the-secret' });
    const error = await refusal(authenticator().authenticate(forged));
    expect(error.code).toBe(401);
    expect(error.message).toMatch(/SignatureDoesNotMatch/);
    const unknown = await sdkToken({ ...AGENT_USER, accessKeyId: 'AKIAUNKNOWN000000000' });
    expect((await refusal(authenticator().authenticate(unknown))).message).toMatch(/InvalidClientTokenId/);
  });

  it('refuses a token made for another cluster or gateway: x-k8s-aws-id is signed', async () => {
    const forOther = await sdkToken(AGENT_USER, { clusterName: 'prod-eks' });
    const error = await refusal(authenticator().authenticate(forOther));
    expect(error.code).toBe(401);
    expect(sts.calls.at(-1)).toMatchObject({ clusterId: GATEWAY_ID, outcome: 'SignatureDoesNotMatch' });
  });

  it('refuses before calling STS: unsigned x-k8s-aws-id, expired, a host not allowed', async () => {
    const before = sts.calls.length;
    const unsigned = await sdkToken(AGENT_USER, { signedHeaders: 'host' });
    expect((await refusal(authenticator().authenticate(unsigned))).message).toMatch(/x-k8s-aws-id/);
    const old = await sdkToken(AGENT_USER, { signingDate: new Date(Date.now() - 16 * 60_000) });
    expect((await refusal(authenticator().authenticate(old))).message).toMatch(/expired/);
    const local = await sdkToken();
    expect((await refusal(authenticator({ stsEndpoints: [] }).authenticate(local))).message).toMatch(
      /not an AWS STS endpoint/,
    );
    expect(sts.calls.length).toBe(before);
  });

  it('refuses an identity no mapping names, naming the ARN and not the token', async () => {
    const token = await sdkToken(STRANGER_USER);
    const error = await refusal(authenticator().authenticate(token));
    expect(error.code).toBe(401);
    expect(error.message).toContain(sts.userArn(STRANGER_USER.name));
    expect(error.message).not.toContain(token.slice(11, 60));
  });

  it('answers 503 with Retry-After when STS is down, and recovers', async () => {
    const token = await sdkToken();
    const auth = authenticator();
    sts.outage = true;
    try {
      const error = await refusal(auth.authenticate(token));
      expect(error.code).toBe(503);
      expect(error.headers['Retry-After']).toBe('5');
      expect(error.message).not.toContain('X-Amz');
    } finally {
      sts.outage = false;
    }
    expect((await auth.authenticate(token)).subject).toBe('agent-ci');
    const unreachable = authenticator({ stsEndpoints: ['http://127.0.0.1:9'] });
    const t9 = await sdkToken(AGENT_USER, { stsEndpoint: 'http://127.0.0.1:9' });
    expect((await refusal(unreachable.authenticate(t9))).code).toBe(503);
  });

  it('caches a verified token (one STS call for concurrent and later requests), not a refusal', async () => {
    const auth = authenticator();
    const token = await sdkToken();
    const before = sts.calls.length;
    await Promise.all([auth.authenticate(token), auth.authenticate(token), auth.authenticate(token)]);
    await auth.authenticate(token);
    expect(sts.calls.length).toBe(before + 1);
    const stranger = await sdkToken(STRANGER_USER);
    await refusal(auth.authenticate(stranger));
    await refusal(auth.authenticate(stranger));
    expect(sts.calls.length).toBe(before + 3);
  });

  it('forgets a cached token when it expires, 15 minutes after it was signed', async () => {
    let now = Date.now();
    const auth = authenticator({}, { now: () => now });
    const token = await sdkToken(AGENT_USER, { signingDate: new Date(now - 14 * 60_000) });
    await auth.authenticate(token);
    now += 61_000;
    expect((await refusal(auth.authenticate(token))).message).toMatch(/expired/);
  });

  it('sends STS exactly the URL of the token, with x-k8s-aws-id and Accept: application/json', async () => {
    const token = await sdkToken();
    const url = new URL(Buffer.from(token.slice(11), 'base64url').toString());
    const identity = await getCallerIdentity(url, GATEWAY_ID, { timeoutMs: 5000 });
    expect(identity.arn).toBe(sts.userArn(AGENT_USER.name));
  });
});
