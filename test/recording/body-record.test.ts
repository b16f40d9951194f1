import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { captureBuffer } from '../../gateway/recording/body-capture.ts';
import { type BodyContext, recordBody } from '../../gateway/recording/body-record.ts';
import { sanitizeHeaders } from '../../gateway/recording/headers.ts';
import { sessionIdentity } from '../../gateway/recording/session-identity.ts';
import { compileMaskingPolicy } from '../../src/masking/policy.ts';

const RULES = compileMaskingPolicy({}).defaultRules;
const BREAK_GLASS = compileMaskingPolicy({
  default: { secrets: false, env: { mode: 'never' } },
}).defaultRules;
const base: BodyContext = {
  sensitiveKind: undefined,
  secret: false,
  watch: false,
  response: false,
  rules: RULES,
};
const SECRET = 'pa55-w0rd-unique-7731';
const b64 = (text: string) => Buffer.from(text).toString('base64');

async function record(
  body: string | Buffer,
  contentType: string,
  context: Partial<BodyContext> = {},
  cap = 65536,
) {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  return recordBody(captureBuffer(bytes, cap), { contentType, cap }, { ...base, ...context });
}

describe('body records', () => {
  it('masks a Secret in JSON even for a caller allowed to see it raw', async () => {
    const secret = JSON.stringify({
      kind: 'Secret',
      metadata: { name: 's' },
      data: { password: b64(SECRET) },
    });
    const stored = await record(secret, 'application/json', {
      secret: true,
      sensitiveKind: 'Secret',
      rules: BREAK_GLASS,
    });
    expect(JSON.stringify(stored)).not.toContain(b64(SECRET));
    expect(stored).toMatchObject({ contentType: 'application/json', size: secret.length, masked: 1 });
  });

  it('keeps only size and digest of protobuf', async () => {
    const body = Buffer.concat([Buffer.from('k8s\0'), Buffer.from(SECRET)]);
    const stored = await record(body, 'application/vnd.kubernetes.protobuf');
    expect(stored).toEqual({
      contentType: 'application/vnd.kubernetes.protobuf',
      size: body.length,
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      omitted: 'protobuf',
    });
  });

  it('masks the values of a JSON patch on a Secret and drops unreadable Secret bodies', async () => {
    const patch = JSON.stringify([{ op: 'replace', path: '/data/password', value: b64(SECRET) }]);
    const stored = await record(patch, 'application/json-patch+json', {
      secret: true,
      sensitiveKind: 'Secret',
    });
    expect(JSON.stringify(stored)).not.toContain(b64(SECRET));
    expect(stored?.json).toEqual([{ op: 'replace', path: '/data/password', value: '**hoop-masked**' }]);
    expect(await record(`"${SECRET}"`, 'application/json', { secret: true })).toMatchObject({
      omitted: 'unmaskable',
      text: 'body withheld: unmaskable',
    });
  });

  it('masks env values in an apply patch (YAML) of a Deployment', async () => {
    const yaml = `kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        env:\n        - name: DB_PASSWORD\n          value: ${SECRET}\n`;
    const stored = await record(yaml, 'application/apply-patch+yaml', { sensitiveKind: 'Deployment' });
    expect(JSON.stringify(stored)).not.toContain(SECRET);
    expect(stored?.masked).toBe(1);
  });

  it('masks watch events one by one and text line by line', async () => {
    const events = [
      { kind: 'Secret', data: { a: b64(SECRET) } },
      { kind: 'Secret', data: { b: b64(SECRET) } },
    ]
      .map((object) => JSON.stringify({ type: 'ADDED', object }))
      .join('\n');
    const watch = await record(`${events}\n`, 'application/json', {
      watch: true,
      secret: true,
      sensitiveKind: 'Secret',
    });
    expect(JSON.stringify(watch)).not.toContain(b64(SECRET));
    expect(watch?.masked).toBe(2);
    const log = await record(`ok\nAWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE password=${SECRET}\n`, 'text/plain');
    expect(log?.text).not.toContain(SECRET);
    expect(log?.text).not.toContain('AKIAIOSFODNN7EXAMPLE');
  });

  it('stores a head over the cap, except for kinds that hold values', async () => {
    const big = JSON.stringify({ kind: 'APIResourceList', resources: 'x'.repeat(2000) });
    const head = await record(big, 'application/json', {}, 256);
    expect(head).toMatchObject({ size: big.length, truncated: true });
    expect(head?.text).toHaveLength(256);
    const pods = await record(big, 'application/json', { sensitiveKind: 'Pod' }, 256);
    expect(pods).toMatchObject({ omitted: 'over-cap' });
    expect(pods?.text).toBeUndefined();
  });

  it('decodes gzip before masking, keeping the size and digest of what travelled', async () => {
    const secret = JSON.stringify({ kind: 'Secret', data: { password: b64(SECRET) } });
    const gz = gzipSync(secret);
    const stored = await recordBody(
      captureBuffer(gz, 65536),
      { contentType: 'application/json', contentEncoding: 'gzip', cap: 65536 },
      { ...base, secret: true, sensitiveKind: 'Secret' },
    );
    expect(stored).toMatchObject({ size: gz.length, contentEncoding: 'gzip', masked: 1 });
    expect(JSON.stringify(stored)).not.toContain(b64(SECRET));
  });
});

describe('headers', () => {
  it('drops credentials and keeps what an auditor needs', () => {
    const headers = sanitizeHeaders([
      'Authorization',
      'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig',
      'Cookie',
      'a=b',
      'X-Auth-Token',
      'abc',
      'Accept',
      'application/json',
      'Kubectl-Command',
      'kubectl get',
      'X-Custom',
      'Bearer abcdef',
    ]);
    expect(headers).toEqual({
      accept: 'application/json',
      'kubectl-command': 'kubectl get',
      'x-custom': '**hoop-redacted**',
    });
  });
});

describe('session identity', () => {
  const caller = { issuer: 'https://i', subject: 'agent-1' };
  it('keys kubectl invocations by their Kubectl-Session, everything else by caller and cluster', () => {
    const a = sessionIdentity(caller, 'prod', {
      'kubectl-session': '6f1c2d3e-aaaa-bbbb',
      'kubectl-command': 'kubectl get',
    });
    const b = sessionIdentity(caller, 'prod', { 'kubectl-session': '6f1c2d3e-aaaa-cccc' });
    const c = sessionIdentity({ ...caller, subject: 'agent-2' }, 'prod', {
      'kubectl-session': '6f1c2d3e-aaaa-bbbb',
    });
    expect(a).toMatchObject({ kind: 'kubectl', command: 'kubectl get' });
    expect(new Set([a.key, b.key, c.key]).size).toBe(3);
    const idle = sessionIdentity(caller, 'prod', {});
    expect(idle.kind).toBe('idle');
    expect(sessionIdentity(caller, 'prod', { 'kubectl-session': 'x' }).key).toBe(idle.key);
    expect(sessionIdentity(caller, 'dev', {}).key).not.toBe(idle.key);
  });
});
