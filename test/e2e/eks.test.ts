import { request } from 'node:https';
import { AGENT_USER, STRANGER_USER } from '@hoop-gateway/sandbox/aws/test-identities';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presignEksToken } from '../../gateway/upstream/credentials/eks-token-presign.ts';
import { type EksStack, EXTERNAL_ID, GATEWAY_ID, startEksStack } from '../support/eks-stack.ts';
import { runKubectl } from '../support/kubectl.ts';
import { E2E_POLICY } from './policy.ts';

/**
 * The AWS path end to end, with the real kubectl and the real AWS CLI: an agent authenticated by
 * AWS IAM (its kubeconfig runs `aws eks get-token --cluster-name <gatewayId>`), the gateway
 * reaching a cluster in EKS mode with its own STS-signed token (three ways: default chain +
 * DescribeCluster, an assumed role with per-agent tagged sessions, an exec plugin), the cluster
 * seeing the impersonated agent; tokens that must not work refused with 401, STS down a 503, and
 * no token in the gateway's log.
 */

let stack: EksStack;
const tokensSeen: string[] = [];

beforeAll(async () => {
  stack = await startEksStack({ policy: E2E_POLICY });
}, 180_000);
afterAll(async () => {
  await stack?.close();
});

/** One HTTPS GET to the gateway with a bearer token: status and Status message. */
function getAs(token: string, cluster = 'eks', path = '/api/v1/namespaces/payments/pods') {
  tokensSeen.push(token);
  return new Promise<{ status: number; message: string; retryAfter?: string }>((resolve, reject) => {
    const req = request(`${stack.clusterUrl(cluster)}${path}`, {
      ca: stack.gateway.caPem,
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (c: Buffer) => {
        text += c.toString();
      });
      res.on('end', () => {
        const body = JSON.parse(text) as { message?: string };
        const retryAfter = res.headers['retry-after'];
        resolve({
          status: res.statusCode ?? 0,
          message: body.message ?? '',
          ...(retryAfter ? { retryAfter } : {}),
        });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

const agentToken = (options: Partial<Parameters<typeof presignEksToken>[0]> = {}) =>
  presignEksToken({
    clusterName: GATEWAY_ID,
    region: 'us-east-1',
    credentials: { accessKeyId: AGENT_USER.accessKeyId, secretAccessKey: AGENT_USER.secretAccessKey },
    stsEndpoint: stack.sts.url,
    ...options,
  });

describe('EKS and AWS IAM, end to end', () => {
  it('kubectl as an IAM agent → gateway → EKS (default chain, DescribeCluster): the cluster sees the agent', async () => {
    const kubeconfig = await stack.agentKubeconfig('eks');
    stack.sandbox.requests.length = 0;
    const result = await runKubectl({
      kubeconfig,
      args: ['-n', 'payments', 'get', 'pods', '-o', 'name'],
      timeoutMs: 90_000,
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('pod/ledger-0');
    const seen = stack.sandbox.requests.filter((r) => r.path === '/api/v1/namespaces/payments/pods');
    expect(seen.length).toBeGreaterThan(0);
    for (const r of seen) {
      expect(r.user).toBe('hoop-gateway'); // the gateway's own IAM identity, mapped by the cluster
      expect(r.headers.impersonateUser).toBe('hoop:agent-ci');
      expect(r.headers.impersonateGroups).toContain('ai-agents');
    }
    const gatewayCalls = stack.sts.calls.filter((c) => c.clusterId === 'prod-eks');
    expect(gatewayCalls.at(-1)?.principal).toBe(stack.sts.userArn('hoop-gateway'));
    expect(stack.sts.calls.some((c) => c.action === 'DescribeCluster' && c.outcome === 'ok')).toBe(true);
  });

  it('an assumed role with per-agent sessions: AssumeRole with the external id, tag and SourceIdentity', async () => {
    const kubeconfig = await stack.agentKubeconfig('eks-role');
    stack.sandbox.requests.length = 0;
    const result = await runKubectl({
      kubeconfig,
      args: ['-n', 'payments', 'get', 'configmaps', '-o', 'name'],
      timeoutMs: 90_000,
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const seen = stack.sandbox.requests.filter((r) => r.path.endsWith('/configmaps'));
    expect(seen.at(-1)?.user).toBe('hoop-gateway:agent-ci');
    expect(seen.at(-1)?.headers.impersonateUser).toBe('hoop:agent-ci');
    const assumed = stack.sts.calls.filter((c) => c.action === 'AssumeRole' && c.outcome === 'ok');
    expect(assumed).toHaveLength(1);
    expect(assumed[0]).toMatchObject({
      roleArn: stack.sts.roleArn('eks-access'),
      sessionName: 'agent-ci',
      sourceIdentity: 'agent-ci',
      tags: { 'hoop-agent': 'agent-ci' },
      principal: stack.sts.userArn('hoop-gateway'),
    });
    expect(EXTERNAL_ID).toBeTruthy();
  });

  it('an exec-credential upstream (the real aws eks get-token) works as for kubectl', async () => {
    stack.sandbox.requests.length = 0;
    const { status } = await getAs(await agentToken(), 'eks-exec');
    expect(status).toBe(200);
    expect(stack.sandbox.requests.at(-1)).toMatchObject({
      user: 'hoop-gateway',
      headers: { impersonateUser: 'hoop:agent-ci' },
    });
  });

  it('refuses forged, expired, other-cluster, wrong-gateway-id and unsigned-x-k8s-aws-id tokens with 401', async () => {
    const cases: Array<[string, Promise<string>, RegExp]> = [
      [
        'forged',
        agentToken({ credentials: { ...AGENT_USER, secretAccessKey: 'wrong' } }),
        /SignatureDoesNotMatch/,
      ],
      ['expired', agentToken({ signingDate: new Date(Date.now() - 16 * 60_000) }), /expired/],
      ['made for the EKS cluster', agentToken({ clusterName: 'prod-eks' }), /refused the token/],
      ['made for another gateway', agentToken({ clusterName: 'other-gateway' }), /refused the token/],
      ['x-k8s-aws-id not signed', agentToken({ signedHeaders: 'host' }), /does not sign the x-k8s-aws-id/],
      ['unmapped identity', agentToken({ credentials: STRANGER_USER }), /is not mapped/],
    ];
    stack.sandbox.requests.length = 0;
    for (const [name, token, message] of cases) {
      const answer = await getAs(await token);
      expect(answer.status, name).toBe(401);
      expect(answer.message, name).toMatch(message);
    }
    expect(stack.sandbox.requests).toHaveLength(0); // nothing reached the cluster
  });

  it('a token the gateway accepts does not open the EKS cluster directly (it is bound to the gateway id)', async () => {
    const token = await agentToken();
    expect((await getAs(token)).status).toBe(200);
    const direct = await new Promise<number>((resolve, reject) => {
      const req = request(`${stack.sandbox.url}/api/v1/namespaces`, {
        ca: stack.sandbox.caPem,
        headers: { authorization: `Bearer ${token}` },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(direct).toBe(401);
  });

  it('answers a clear 503 while STS is down', async () => {
    // Signed at another second than the tokens above, so that it is not in the gateway's cache.
    const token = await agentToken({ signingDate: new Date(Date.now() - 42_000) });
    stack.sts.outage = true;
    try {
      const answer = await getAs(token);
      expect(answer.status).toBe(503);
      expect(answer.message).toMatch(/cannot reach AWS STS/);
      expect(answer.retryAfter).toBe('5');
    } finally {
      stack.sts.outage = false;
    }
  });

  it('never writes a token or an AWS secret into the gateway log', () => {
    const log = stack.logLines.join('\n');
    expect(stack.logLines.length).toBeGreaterThan(5);
    for (const token of tokensSeen) {
      expect(log).not.toContain(token.slice(11, 80));
      const signature = new URL(Buffer.from(token.slice(11), 'base64url').toString()).searchParams.get(
        'X-Amz-Signature',
      );
      expect(log).not.toContain(signature);
    }
    expect(log).not.toContain('k8s-aws-v1.');
    expect(log).not.toContain('X-Amz-Signature');
    expect(log).not.toContain(AGENT_USER.secretAccessKey);
    expect(log).not.toMatch(/ASIA[A-Z0-9]{16}/);
  });
});
