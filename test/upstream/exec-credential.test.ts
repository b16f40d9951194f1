import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execCredentialSource, summariseStderr } from '../../gateway/upstream/credentials/exec-credential.ts';
import { StatusError } from '../../src/errors.ts';

/** Exec credential plugins, run as kubectl runs them: each promise broken on purpose. */

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hoop-exec-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A plugin script: counts its runs in `<name>.count`, then runs `body`. */
async function plugin(name: string, body: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `#!/bin/sh\necho run >> "${path}.count"\n${body}\n`);
  await chmod(path, 0o755);
  return path;
}
const runs = async (path: string) => {
  const { readFile } = await import('node:fs/promises');
  return (await readFile(`${path}.count`, 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
};
const credential = (token: string, expires?: string, apiVersion = 'client.authentication.k8s.io/v1') =>
  `printf '%s' '${JSON.stringify({ kind: 'ExecCredential', apiVersion, status: { token, ...(expires ? { expirationTimestamp: expires } : {}) } })}'`;
const cluster = { server: 'https://127.0.0.1:6443', 'certificate-authority-data': 'Q0E=' };
const source = (command: string, extra: Record<string, unknown> = {}, now?: () => number) =>
  execCredentialSource(
    { apiVersion: 'client.authentication.k8s.io/v1', command, ...extra },
    { baseDir: dir, timeoutMs: 2000, cluster, ...(now ? { now } : {}) },
  );
async function failure(promise: Promise<unknown>): Promise<StatusError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StatusError);
  return error as StatusError;
}

describe('exec credential plugin', () => {
  it('passes args, env and KUBERNETES_EXEC_INFO (with cluster info when asked), and uses status.token', async () => {
    const path = await plugin(
      'echo-info.sh',
      `[ "$1" = "eks" ] && [ "$GREETING" = "hi" ] || exit 3\ninfo=$(printf '%s' "$KUBERNETES_EXEC_INFO" | tr -d ' ')\ncase "$info" in *'"interactive":false'*'"server":"https://127.0.0.1:6443"'*) ;; *) exit 4;; esac\n${credential('tok-1')}`,
    );
    const s = source(path, {
      args: ['eks'],
      env: [{ name: 'GREETING', value: 'hi' }],
      provideClusterInfo: true,
    });
    expect(await s.token()).toBe('tok-1');
  });

  it('caches until a minute before expirationTimestamp, then runs again; concurrent calls share one run', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    const path = await plugin('expiring.sh', credential('tok-2', '2030-01-01T00:15:00Z'));
    const s = source(path, {}, () => now);
    await Promise.all([s.token(), s.token(), s.token()]);
    expect(await runs(path)).toBe(1);
    now += 13 * 60_000;
    await s.token();
    expect(await runs(path)).toBe(1);
    now += 60_000 + 1;
    await s.token();
    expect(await runs(path)).toBe(2);
  });

  it('runs again after the cluster refused the token (invalidate), but not for a stale refusal', async () => {
    const path = await plugin('no-expiry.sh', credential('tok-3'));
    const s = source(path);
    await s.token();
    s.invalidate('some-older-token');
    await s.token();
    expect(await runs(path)).toBe(1);
    s.invalidate('tok-3');
    await s.token();
    expect(await runs(path)).toBe(2);
  });

  it('a failing plugin is a 503 naming the command with its stderr summarised and tokens redacted', async () => {
    const path = await plugin(
      'fails.sh',
      `echo "debug: using k8s-aws-v1.aHR0cHM6Ly9zdHM and AKIAIOSFODNN7EXAMPLE" >&2\necho "An error occurred (ExpiredToken) when calling GetCallerIdentity" >&2\nexit 255`,
    );
    const error = await failure(source(path).token());
    expect(error.code).toBe(503);
    expect(error.message).toContain('fails.sh');
    expect(error.message).toContain('exited with code 255');
    expect(error.message).toContain('ExpiredToken');
    expect(error.message).not.toContain('aHR0cHM6Ly9zdHM');
    expect(error.message).not.toContain('AKIAIOSFODNN7EXAMPLE');
    expect(error.message).toMatch(/not yours/);
  });

  it('times out a plugin that hangs, and reports a missing command', async () => {
    const path = await plugin('hangs.sh', 'sleep 30');
    const started = Date.now();
    const error = await failure(source(path).token());
    expect(error.message).toMatch(/did not finish within 2s/);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((await failure(source('./does-not-exist').token())).message).toMatch(
      /could not be started \(ENOENT\)/,
    );
  });

  it('refuses output that is not an ExecCredential of the same apiVersion, without quoting it', async () => {
    const secretish = await plugin('garbage.sh', `echo 'not json SECRET-VALUE'`);
    const error = await failure(source(secretish).token());
    expect(error.message).toMatch(/did not print an ExecCredential/);
    expect(error.message).not.toContain('SECRET-VALUE');
    const wrong = await plugin(
      'wrong-version.sh',
      credential('tok', undefined, 'client.authentication.k8s.io/v1beta1'),
    );
    expect((await failure(source(wrong).token())).message).toMatch(/apiVersion/);
    const empty = await plugin('no-token.sh', credential(''));
    expect((await failure(source(empty).token())).message).toMatch(/no status.token/);
  });

  it('summarises stderr: last three lines, short, secrets redacted', () => {
    const text = ['one', 'two', 'three', 'four eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln', ''].join('\n');
    expect(summariseStderr(text)).toBe('two / three / four [redacted]');
    expect(summariseStderr('x'.repeat(2000)).length).toBeLessThanOrEqual(400);
  });
});
