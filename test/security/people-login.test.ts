import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ApprovalsStack, NAMESPACE_PATH, startApprovalsStack } from '../approvals-e2e/support.ts';
import { describeWithKubectl, runKubectl } from '../support/kubectl.ts';
import { signIn } from '../support/people.ts';

/**
 * The whole path a person takes, with real parts: `hoop-gateway login` (device flow against the
 * local OpenID issuer, the code entered by the test as the person would in a browser), then
 * `hoop-gateway reviews approve` through the gateway's approvals API, and the held kubectl call
 * completes with exactly one DELETE upstream.
 */
let stack: ApprovalsStack;

beforeAll(async () => {
  stack = await startApprovalsStack();
});

afterAll(async () => {
  await stack?.close();
});

describeWithKubectl(['1.33'], 'a person signs in and approves a held kubectl call', () => {
  it('login → reviews approve → kubectl completes', async () => {
    const kubeconfig = await stack.kubeconfigFor('agent-1');
    const kubectl = runKubectl({ kubeconfig, args: ['delete', 'namespace', 'scratch'], timeoutMs: 60_000 });
    const [review] = await stack.pending();

    const person = await signIn(stack, 'approver-1');
    expect(person.loginOutput).toMatch(
      /Open http:\/\/127\.0\.0\.1:\d+\/device and enter the code [A-Z]{4}-[A-Z]{4}/,
    );
    expect(person.loginOutput).toContain('Signed in to https://127.0.0.1:');
    expect(person.loginOutput).toContain('as approver-1@example.com');

    const listed = await person.reviews('list', '--state', 'pending');
    expect(listed.out).toContain(review!.id);
    const approved = await person.reviews('approve', review!.id, '--reason', 'scratch is disposable');
    expect(approved).toMatchObject({ code: 0 });
    expect(approved.out).toContain(`approved ${review!.id}`);

    const result = await kubectl;
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(stack.upstreamCount('DELETE', NAMESPACE_PATH)).toBe(1);

    const shown = await person.reviews('show', review!.id);
    expect(shown.out).toMatch(
      /approve by approver-1@example\.com via api: scratch is disposable \[signed, key k-/,
    );
    const audit = stack.logs().filter((l) => l['audit'] === 'decision');
    expect(audit).toEqual([
      expect.objectContaining({
        review: review!.id,
        action: 'approve',
        outcome: 'applied',
        approver: 'approver-1@example.com',
        via: 'api',
      }),
    ]);
    expect(
      stack.logs().some((l) => l['audit'] === 'login' && l['approver'] === 'approver-1@example.com'),
    ).toBe(true);

    // No token and no private key reaches the gateway's log or Redis; the sign-in file is 0600.
    const file = await onlySessionFile(person.configDir);
    const session = JSON.parse(await readFile(file, 'utf8')) as Record<string, string>;
    const secrets = [
      session['accessToken']!,
      session['refreshToken']!,
      pemBody(await readFile(join(stack.dir, 'keys', 'bot.key'), 'utf8')),
      pemBody(await readFile(join(stack.dir, 'data', 'keys', 'gateway.key'), 'utf8')),
    ];
    expect(secrets.every((secret) => secret.length > 20)).toBe(true);
    const stored = await dumpRedis(stack);
    for (const secret of secrets) {
      expect(stack.logLines.join('\n')).not.toContain(secret);
      expect(stored).not.toContain(secret);
    }
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });
});

async function onlySessionFile(configDir: string): Promise<string> {
  const [file] = await readdir(join(configDir, 'sessions'));
  return join(configDir, 'sessions', file!);
}

function pemBody(pem: string): string {
  return pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
}

/** Every key and value under the stack's prefix, as one string. */
async function dumpRedis(s: ApprovalsStack): Promise<string> {
  const parts: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await s.redis.scan(cursor, 'MATCH', `${s.prefix}:*`, 'COUNT', 500);
    cursor = next;
    for (const key of keys) {
      const type = await s.redis.type(key);
      parts.push(key);
      if (type === 'string') parts.push((await s.redis.get(key)) ?? '');
      if (type === 'hash') parts.push(JSON.stringify(await s.redis.hgetall(key)));
      if (type === 'list') parts.push(...(await s.redis.lrange(key, 0, -1)));
      if (type === 'zset') parts.push(...(await s.redis.zrange(key, '0', '-1')));
    }
  } while (cursor !== '0');
  return parts.join('\n');
}
