/**
 * The gateway as an attacker meets it: raw HTTPS requests (node:https, trusting the gateway's CA)
 * with bad tokens, caller impersonation and adversarial paths, plus kubectl `--as`. Every refusal
 * must be a Kubernetes Status with the right code, and nothing refused may reach the sandbox:
 * each case compares `sandbox.requests.length` before and after.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { OutgoingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type OidcIssuer, startOidcIssuer } from '@hoop-gateway/sandbox/oidc-issuer';
import type { JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyConfusionToken, publishedKeys, signWithOwnKey, unsignedToken } from '../authn/forge.ts';
import { describeWithKubectl, runKubectl } from '../support/kubectl.ts';
import { AGENTS, AUDIENCE, type Stack, startStack } from '../support/stack.ts';
import {
  type CaptureUpstream,
  startCaptureUpstream,
  upstreamKubeconfig,
  upstreamTls,
} from './fake-upstreams.ts';
import {
  expectForwardedAs,
  expectStatus,
  type GatewayRequest,
  type GatewayResponse,
  gatewayRequest,
  sandboxRequestsDuring,
} from './helpers.ts';
import { E2E_POLICY } from './policy.ts';

const PODS = '/clusters/sandbox/api/v1/namespaces/payments/pods';

let stack: Stack;
/** An upstream that records the raw request heads the gateway sends it (cluster "capture"). */
let capture: CaptureUpstream;
let captureDir: string;
/** A second, real OpenID provider the gateway was never configured to trust. */
let stranger: OidcIssuer;
let validToken: string;
/** Every token this file sent, to check none of them leaks into logs or upstream records. */
const sentTokens: string[] = [];

beforeAll(async () => {
  const material = await upstreamTls();
  capture = await startCaptureUpstream(material);
  captureDir = await mkdtemp(join(tmpdir(), 'e2e-capture-'));
  const captureKubeconfig = await upstreamKubeconfig(captureDir, 'capture', capture.port, material.caPem);
  stack = await startStack({
    policy: E2E_POLICY,
    extraClusters: [{ name: 'capture', kubeconfig: { path: captureKubeconfig } }],
  });
  stranger = await startOidcIssuer({ audience: AUDIENCE, clients: Object.values(AGENTS) });
  validToken = await stack.issuer.issueToken('agent-1');
  sentTokens.push(validToken);
});
afterAll(async () => {
  await stranger?.close();
  await stack?.close();
  await capture?.close();
  if (captureDir) await rm(captureDir, { recursive: true, force: true });
});

/** Sends a request and asserts the sandbox received nothing while it was handled. */
async function refused(options: GatewayRequest): Promise<GatewayResponse> {
  if (options.token) sentTokens.push(options.token);
  const { result, requests } = await sandboxRequestsDuring(stack, () => gatewayRequest(stack, options));
  expect(requests, `${options.method ?? 'GET'} ${options.path} reached the sandbox`).toEqual([]);
  return result;
}

/** What the agent's real token says, to forge look-alikes of. */
function agentClaims(extra: JWTPayload = {}): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: stack.issuer.issuer,
    aud: AUDIENCE,
    sub: 'agent-1',
    groups: ['ai-agents'],
    iat: now,
    exp: now + 300,
    ...extra,
  };
}

describe('authentication', () => {
  it('control: the real token, and the same claims signed with the real key, are accepted', async () => {
    const { result, requests } = await sandboxRequestsDuring(stack, () =>
      gatewayRequest(stack, { path: PODS, token: validToken }),
    );
    expect(result.status).toBe(200);
    expect((JSON.parse(result.body) as { kind: string }).kind).toBe('PodList');
    expectForwardedAs(requests, 'agent-1', ['ai-agents'], validToken);

    const signed = await stack.issuer.signToken(agentClaims());
    sentTokens.push(signed);
    expect((await gatewayRequest(stack, { path: PODS, token: signed })).status).toBe(200);
  });

  const forgeries: Array<[string, () => Promise<string>, RegExp]> = [
    [
      'signed by another key under the issuer’s kid',
      () => signWithOwnKey(agentClaims(), stack.issuer.currentKid()),
      /signature does not verify/,
    ],
    [
      'signed by another key under an unknown kid',
      () => signWithOwnKey(agentClaims(), randomUUID()),
      /does not publish/,
    ],
    [
      'expired (beyond the clock skew)',
      () => {
        const now = Math.floor(Date.now() / 1000);
        return stack.issuer.signToken(agentClaims({ iat: now - 7200, exp: now - 3600 }));
      },
      /expired/,
    ],
    [
      'not yet valid (nbf an hour ahead)',
      () => stack.issuer.signToken(agentClaims({ nbf: Math.floor(Date.now() / 1000) + 3600 })),
      /./,
    ],
    ['without exp', () => stack.issuer.signToken(agentClaims({ exp: undefined })), /exp/],
    [
      'for another audience',
      () => stack.issuer.signToken(agentClaims({ aud: 'https://some-other-api.test' })),
      /audience/,
    ],
    [
      'from an issuer the gateway does not trust (a real one)',
      () => stranger.issueToken('agent-1'),
      /not trusted/,
    ],
    ['alg: none', async () => unsignedToken(agentClaims(), stack.issuer.currentKid()), /./],
    [
      'HS256 with the issuer’s public key as the secret',
      async () => {
        const [jwk] = await publishedKeys(stack.issuer.issuer);
        if (!jwk) throw new Error('issuer publishes no key');
        return keyConfusionToken(agentClaims(), jwk);
      },
      /algorithm/,
    ],
    ['not a JWT at all', async () => 'definitely-not-a-jwt', /not a JWT/],
  ];

  it.each(forgeries)('a token %s gets 401 and nothing is forwarded', async (_what, make, message) => {
    const token = await make();
    const status = expectStatus(await refused({ path: PODS, token }), 401, 'Unauthorized');
    expect(status.message).toMatch(message);
    for (const part of token.split('.').filter((p) => p.length > 8))
      expect(status.message).not.toContain(part);
  });

  const badHeaders: Array<[string, OutgoingHttpHeaders]> = [
    ['no Authorization header', {}],
    [
      'Basic credentials',
      { authorization: `Basic ${Buffer.from('agent-1:agent-1-secret-value').toString('base64')}` },
    ],
    ['"Bearer" with no token', { authorization: 'Bearer' }],
    ['"Bearer" with two tokens', { authorization: 'Bearer abc def' }],
    ['another scheme', { authorization: 'Token abc' }],
  ];

  it.each(badHeaders)('%s gets 401 and nothing is forwarded', async (_what, headers) => {
    expectStatus(await refused({ path: PODS, headers }), 401, 'Unauthorized');
  });

  it('an upgrade (exec over WebSocket) without a valid token gets 401 and nothing is forwarded', async () => {
    const forged = await signWithOwnKey(agentClaims(), stack.issuer.currentKid());
    const response = await refused({
      path: '/clusters/sandbox/api/v1/namespaces/payments/pods/ledger-0/exec?command=env&stdout=true',
      token: forged,
      headers: websocketHeaders(),
    });
    expectStatus(response, 401, 'Unauthorized');
  });

  it('an authenticated agent the policy does not cover gets 403 and nothing is forwarded', async () => {
    const outsider = await stack.issuer.issueToken('outsider');
    const status = expectStatus(await refused({ path: PODS, token: outsider }), 403, 'Forbidden');
    expect(status.message).toContain('"outsider"');
  });
});

function websocketHeaders(): OutgoingHttpHeaders {
  return {
    connection: 'Upgrade',
    upgrade: 'websocket',
    'sec-websocket-key': Buffer.from(randomUUID().slice(0, 16)).toString('base64'),
    'sec-websocket-version': '13',
    'sec-websocket-protocol': 'v5.channel.k8s.io',
  };
}

describeWithKubectl('1.33', 'caller impersonation', () => {
  const headers: Array<[string, OutgoingHttpHeaders]> = [
    ['Impersonate-User', { 'Impersonate-User': 'admin' }],
    ['Impersonate-Group', { 'Impersonate-Group': 'system:masters' }],
    ['Impersonate-Uid', { 'Impersonate-Uid': '1234' }],
    ['Impersonate-Extra-scopes', { 'Impersonate-Extra-scopes': 'view' }],
    ['impersonate-user (lower case)', { 'impersonate-user': 'system:admin' }],
  ];

  it.each(headers)('a caller-sent %s header gets 403 and nothing is forwarded', async (_name, extra) => {
    const status = expectStatus(
      await refused({ path: PODS, token: validToken, headers: extra }),
      403,
      'Forbidden',
    );
    expect(status.message).toMatch(/impersonate-/);
  });

  it('also on an upgrade request', async () => {
    const response = await refused({
      path: '/clusters/sandbox/api/v1/namespaces/payments/pods/ledger-0/exec?command=env&stdout=true',
      token: validToken,
      headers: { ...websocketHeaders(), 'Impersonate-User': 'admin' },
    });
    expectStatus(response, 403, 'Forbidden');
  });

  it('kubectl --as=admin with a cold discovery cache is Forbidden and nothing reaches the sandbox', async () => {
    const kubeconfig = await stack.kubeconfigFor('agent-1');
    const { result, requests } = await sandboxRequestsDuring(stack, () =>
      runKubectl({
        kubeconfig,
        version: '1.33',
        args: ['--as=admin', 'get', 'pods', '-n', 'payments'],
        cacheDir: join(stack.dir, 'cold-cache'),
      }),
    );
    expect(result.code).toBe(1);
    // client-go reads discovery answers with Raw(), which drops a JSON Status's message ("unknown").
    expect(result.stderr).toMatch(/^Error from server \(Forbidden\): /m);
    expect(requests).toEqual([]);
  });

  it.each([
    ['--as=admin', ['--as=admin']],
    ['--as-group=system:masters', ['--as=agent-1', '--as-group=system:masters']],
  ])(
    'kubectl %s (discovery cached) prints the gateway’s reason; nothing reaches the sandbox',
    async (_flag, flags) => {
      const kubeconfig = await stack.kubeconfigFor('agent-1');
      const cacheDir = join(stack.dir, 'warm-cache');
      const warm = await runKubectl({
        kubeconfig,
        version: '1.33',
        args: ['get', 'pods', '-n', 'payments'],
        cacheDir,
      });
      expect(warm.code).toBe(0);
      const { result, requests } = await sandboxRequestsDuring(stack, () =>
        runKubectl({
          kubeconfig,
          version: '1.33',
          args: [...flags, 'get', 'pods', '-n', 'payments'],
          cacheDir,
        }),
      );
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /^Error from server \(Forbidden\): the "impersonate-(user|group)" header is not allowed: .*Remove --as/,
      );
      expect(requests).toEqual([]);
    },
  );
});

describe('adversarial paths', () => {
  const cases: Array<[string, string, number]> = [
    ['an encoded slash in a name', '/clusters/sandbox/api/v1/namespaces/scratch/configmaps/a%2Fb', 400],
    [
      'encoded traversal out of configmaps',
      '/clusters/sandbox/api/v1/namespaces/scratch/configmaps/..%2F..%2Fsecrets',
      400,
    ],
    ['literal ".." segments', '/clusters/sandbox/api/v1/namespaces/scratch/configmaps/../../secrets', 400],
    ['encoded dots', '/clusters/sandbox/api/v1/namespaces/scratch/configmaps/%2E%2E/%2e%2e/secrets', 400],
    ['a "." segment', '/clusters/sandbox/api/v1/namespaces/scratch/./secrets', 400],
    ['an empty segment', '/clusters/sandbox/api/v1/namespaces//secrets', 400],
    ['a leading "//"', '/clusters/sandbox//api/v1/namespaces/payments/secrets', 400],
    ['an encoded backslash', '/clusters/sandbox/api/v1/namespaces/scratch/configmaps/..%5Csecrets', 400],
    ['double encoding', '/clusters/sandbox/api/v1/namespaces/scratch/configmaps/a%252Fb', 400],
    ['a ";" in the query (Go and WHATWG disagree)', `${PODS}?watch=1;x`, 400],
    ['an invalid escape in the query', `${PODS}?labelSelector=%zz`, 400],
    ['an unknown cluster', '/clusters/production/api/v1/namespaces/payments/secrets', 404],
    ['".." as the cluster name', '/clusters/../clusters/sandbox/api/v1/namespaces/payments/secrets', 404],
    ['a path outside /clusters/', '/api/v1/namespaces/payments/secrets', 404],
  ];

  it.each(cases)('%s → Status, nothing forwarded', async (_what, path, code) => {
    expectStatus(await refused({ path, token: validToken }), code);
  });

  it('the traversal attempts never made the sandbox serve a secret', () => {
    expect(stack.sandbox.requests.filter((r) => r.path.includes('secrets'))).toEqual([]);
  });

  it('control: the plain form of a refused path is forwarded', async () => {
    const { result, requests } = await sandboxRequestsDuring(stack, () =>
      gatewayRequest(stack, {
        path: '/clusters/sandbox/api/v1/namespaces/scratch/configmaps/notes',
        token: validToken,
      }),
    );
    expect(result.status).toBe(200);
    expect(requests.map((r) => r.path)).toEqual(['/api/v1/namespaces/scratch/configmaps/notes']);
  });
});

describe('what reaches the cluster, byte for byte', () => {
  /** The parts of a JWT long enough to recognise, raw and as kube's base64url subprotocol. */
  const traces = (token: string) => [
    ...token.split('.').filter((p) => p.length > 16),
    Buffer.from(token).toString('base64url').slice(0, 40),
  ];

  it('an ordinary request carries the gateway credential and the impersonation, not the agent token', async () => {
    const before = capture.heads.length;
    await gatewayRequest(stack, {
      path: '/clusters/capture/api/v1/namespaces/scratch/configmaps',
      token: validToken,
    });
    const [head] = capture.heads.slice(before);
    expect(head).toBeDefined();
    expect(head).toMatch(/^GET \/api\/v1\/namespaces\/scratch\/configmaps HTTP\/1\.1\r\n/);
    expect(head).toMatch(/\r\nauthorization: Bearer gateway-upstream-token(\r\n|$)/i);
    expect(head).toMatch(/\r\nimpersonate-user: hoop:agent-1(\r\n|$)/i);
    for (const trace of traces(validToken)) expect(head).not.toContain(trace);
  });

  it('the agent token sent as a WebSocket bearer subprotocol is not forwarded', async () => {
    // kube-apiserver accepts `base64url.bearer.authorization.k8s.io.<token>` as a credential.
    const bearerProtocol = `base64url.bearer.authorization.k8s.io.${Buffer.from(validToken).toString('base64url')}`;
    const before = capture.heads.length;
    const response = await gatewayRequest(stack, {
      path: '/clusters/capture/api/v1/namespaces/scratch/pods/x/exec?command=ls&stdout=true',
      token: validToken,
      headers: { ...websocketHeaders(), 'sec-websocket-protocol': `v5.channel.k8s.io, ${bearerProtocol}` },
    });
    expect(response.status).toBe(400); // the capture upstream's answer, relayed
    // Before the exec, the gateway reads the pod (as the agent) to learn its secret values.
    const heads = capture.heads.slice(before);
    const head = heads.find((h) => h.startsWith('GET /api/v1/namespaces/scratch/pods/x/exec?'));
    expect(head).toMatch(/\r\nsec-websocket-protocol: v5\.channel\.k8s\.io(\r\n|$)/i);
    for (const trace of traces(validToken)) expect(heads.join('\n')).not.toContain(trace);
  });
});

describe('secrecy of tokens', () => {
  it('no token this file sent appears in the gateway log or in what the sandbox recorded', () => {
    expect(sentTokens.length).toBeGreaterThan(10);
    const log = stack.logLines.join('\n');
    const recorded = JSON.stringify(stack.sandbox.requests);
    for (const token of sentTokens) {
      for (const part of token.split('.').filter((p) => p.length > 16)) {
        expect(log).not.toContain(part);
        expect(recorded).not.toContain(part);
      }
    }
    // The log is not simply empty: refusals were logged, with why.
    expect(log).toMatch(/"refusal":"invalid token"/);
    expect(log).toMatch(/"refusal":"caller impersonation"/);
  });
});

describe('privilege escalation through the gateway', () => {
  it('a token carrying system:masters is forwarded without it (token groups never include system: ones)', async () => {
    const token = await stack.issuer.signToken(agentClaims({ groups: ['ai-agents', 'system:masters'] }));
    sentTokens.push(token);
    const before = capture.heads.length;
    await gatewayRequest(stack, { path: '/clusters/capture/api/v1/namespaces/scratch/configmaps', token });
    const [head] = capture.heads.slice(before);
    expect(head).toBeDefined();
    expect(head).toMatch(/\r\nimpersonate-group: ai-agents(\r\n|$)/i);
    expect(head).not.toMatch(/system:masters/i);
  });

  it('a subject that would impersonate a system: user upstream is refused when the prefix is empty', async () => {
    const bare = await startStack({ policy: E2E_POLICY, config: { identity: { userPrefix: '' } } });
    try {
      const token = await bare.issuer.signToken({
        ...agentClaims({ groups: ['ai-agents'] }),
        iss: bare.issuer.issuer,
        sub: 'system:kube-controller-manager',
      });
      sentTokens.push(token);
      const { result, requests } = await sandboxRequestsDuring(bare, () =>
        gatewayRequest(bare, { path: PODS, token }),
      );
      expect(requests).toEqual([]);
      expect(expectStatus(result, 403, 'Forbidden').message).toContain('system:');
    } finally {
      await bare.close();
    }
  });

  it('an exec upgrade through nodes/proxy is judged as create, so the read rule does not let it through', async () => {
    const response = await refused({
      path: '/clusters/sandbox/api/v1/nodes/node-1/proxy/exec/payments/ledger-0/ledger?command=env&output=1',
      token: validToken,
      headers: websocketHeaders(),
    });
    expect(expectStatus(response, 403, 'Forbidden').message).toContain('"create"');
  });

  it('an unknown cluster is not named to a caller without a token', async () => {
    const response = await refused({ path: '/clusters/nope/api' });
    const status = expectStatus(response, 401, 'Unauthorized');
    expect(status.message).not.toContain('sandbox');
  });
});
