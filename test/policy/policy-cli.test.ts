import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

/** `hoop-gateway policy …` run as a real child process, as a person or CI would run it. */

const run = promisify(execFile);
const bin = resolve(import.meta.dirname, '../../bin/hoop-gateway.ts');

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, 'policy', ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const dir = mkdtempSync(join(tmpdir(), 'hoop-policy-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

const policy = write(
  'policy.yaml',
  `default: deny
rules:
  - name: agents-read
    action: allow
    match: { groups: [ai-agents], verbs: [get, list, watch], resources: ["*"] }
  - name: no-secrets
    action: deny
    message: Agents never read secrets
    match: { resources: [secrets] }
  - name: prod-exec
    action: review
    match: { clusters: ["prod-*"], resources: [pods/exec] }
`,
);
const config = write('hoop.yaml', 'listen: { port: 8443 }\npolicyFile: policy.yaml\n');
const broken = write(
  'broken.yaml',
  'rules:\n  - name: a\n    action: deny\n    match: { verbs: [get, destroy] }\n',
);

// Each case spawns Node; run them side by side.
describe.concurrent('hoop-gateway policy check', () => {
  it('reports the rule count for a policy and for a config that references one', async () => {
    expect(await cli('check', policy)).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^ok: 3 rules/),
    });
    expect(await cli('check', config)).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^ok: 3 rules/),
    });
  });

  it('names the broken field on stderr, without a stack trace, and exits 1', async () => {
    const result = await cli('check', broken);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `error: ${broken}: rules[0].match.verbs[1]: unknown verb "destroy"; verbs: ` +
        'get, list, watch, create, update, patch, delete, deletecollection, proxy, head, post, put, * (line 4)\n',
    );
  });

  it('warns about a resource no cluster serves, and still exits 0', async () => {
    const typo = write(
      'typo.yaml',
      'rules:\n  - name: ns-delete\n    action: review\n    match: { resources: [namespace], verbs: [delete] }\n',
    );
    const result = await cli('check', typo);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      'ok: 1 rule (default deny, built-in discovery rule on); 1 warning on stderr\n',
    );
    expect(result.stderr).toContain(
      `warning: ${typo}: rules[0].match.resources[0]: "namespace" is not a resource any cluster serves`,
    );
    expect(result.stderr).toContain('did you mean "namespaces"?');
    expect(result.stderr).toMatch(/\(line 4\)\n$/);
  });

  it('treats bad usage as a usage error (exit 2)', async () => {
    const result = await cli('check');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('policy check takes one FILE');
  });
});

describe.concurrent('hoop-gateway policy explain', () => {
  it('prints classification, decision and every matched rule', async () => {
    const result = await cli(
      'explain',
      '--policy',
      policy,
      '--subject',
      'agent:claude',
      '--groups',
      'ai-agents',
      'get',
      '/clusters/prod-eu/api/v1/namespaces/payments/secrets?watch=1',
    );
    expect(result.code, 'deny exits 1, as kubectl auth can-i does').toBe(1);
    expect(result.stdout).toContain('cluster:     prod-eu');
    expect(result.stdout).toContain('verb:        watch');
    expect(result.stdout).toContain('resource:    secrets (API group "", version v1)');
    expect(result.stdout).toContain('namespace:   payments');
    expect(result.stdout).toContain('decision:    DENY by rule "no-secrets"');
    expect(result.stdout).toMatch(/matched:\n {2}agents-read +allow\n {2}no-secrets +deny\n/);
  });

  it('shows review decisions and the cluster given by flag, as JSON', async () => {
    const result = await cli(
      'explain',
      '--policy',
      config,
      '--subject',
      'ci:x',
      '--cluster',
      'prod-us',
      '-o',
      'json',
      'POST',
      '/api/v1/namespaces/default/pods/p1/exec?command=sh',
    );
    expect(result.code, 'review exits 3').toBe(3);
    const parsed = JSON.parse(result.stdout) as {
      info: { verb: string };
      decision: { action: string; rule: string };
    };
    expect(parsed.info.verb).toBe('create');
    expect(parsed.decision).toMatchObject({ action: 'review', rule: 'prod-exec' });
  });

  it('explains discovery and refusals', async () => {
    const discovery = await cli('explain', '--policy', policy, '--subject', 'x', 'GET', '/apis/apps/v1');
    expect(discovery.stdout).toContain('decision:    ALLOW by rule "builtin:discovery"');
    expect(discovery.code, 'allow exits 0').toBe(0);
    const refused = await cli(
      'explain',
      '--policy',
      policy,
      '--subject',
      'x',
      'GET',
      '/api/v1/namespaces/a%2Fb/pods',
    );
    expect(refused.code, 'refused before the policy is a no').toBe(1);
    expect(refused.stdout).toContain('refused before the policy: 400 BadRequest');
  });

  it('exits 2 for a policy that does not load, never the deny code', async () => {
    const result = await cli('explain', '--policy', broken, '--subject', 'x', 'GET', '/api/v1/pods');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown verb "destroy"');
  });

  it('rejects a --cluster that contradicts the path', async () => {
    const result = await cli(
      'explain',
      '--policy',
      policy,
      '--subject',
      'x',
      '--cluster',
      'a',
      'GET',
      '/clusters/b/api',
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('contradicts');
  });
});
