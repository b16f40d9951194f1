import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type OidcIssuer, startOidcIssuer } from '@hoop-gateway/sandbox/oidc-issuer';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOOP_GATEWAY_BIN } from '../../cli/credentials/exec-credential.ts';
import { execCredentialKubeconfigUser } from '../../cli/token.ts';
import { createAuthenticator } from '../../gateway/authn/authenticator.ts';

/**
 * `hoop-gateway token` as kubectl runs it: a child process whose stdout is an ExecCredential and
 * whose failures are one line on stderr that never shows the secret.
 */

const AUDIENCE = 'https://gateway.test';
const SECRET = 'correct-horse-battery-staple';
let issuer: OidcIssuer;
let dir: string;
let secretFile: string;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: Record<string, string> = {}, command = process.execPath): Promise<Result> {
  const { HOOP_CLIENT_SECRET: _drop, ...inherited } = process.env;
  return new Promise((resolve) => {
    execFile(command, args, { env: { ...inherited, ...env } }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const tokenArgs = (on: OidcIssuer, extra: string[] = []) => [
  HOOP_GATEWAY_BIN,
  'token',
  '--issuer',
  on.issuer,
  '--client-id',
  'agent-1',
  '--audience',
  AUDIENCE,
  ...extra,
];

beforeAll(async () => {
  const clients = [{ clientId: 'agent-1', clientSecret: SECRET, groups: ['agents'] }];
  issuer = await startOidcIssuer({ audience: AUDIENCE, clients });
  dir = mkdtempSync(join(tmpdir(), 'hoop-token-cli-'));
  secretFile = join(dir, 'secret');
  writeFileSync(secretFile, `${SECRET}\n`, { mode: 0o600 });
});

afterAll(async () => {
  await issuer?.close();
  rmSync(dir, { recursive: true, force: true });
});

// Each case starts Node processes; on a loaded two-core machine one can take seconds.
describe('hoop-gateway token', { timeout: 120_000 }, () => {
  it('prints an ExecCredential whose token the gateway accepts', async () => {
    const result = await run(tokenArgs(issuer, ['--client-secret-file', secretFile]));
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const credential = JSON.parse(result.stdout);
    expect(credential).toMatchObject({
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
    });
    const { token, expirationTimestamp } = credential.status;
    expect(expirationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Date.parse(expirationTimestamp) / 1000).toBe(decodeJwt(token).exp);
    const caller = await createAuthenticator([{ issuer: issuer.issuer, audience: AUDIENCE }]).authenticate(
      token,
    );
    expect(caller).toMatchObject({ subject: 'agent-1', groups: ['agents'] });
  });

  it('reads the secret from HOOP_CLIENT_SECRET', async () => {
    const result = await run(tokenArgs(issuer), { HOOP_CLIENT_SECRET: SECRET });
    expect(result.code).toBe(0);
  });

  it('reuses the token cached in a 0600 file on the next run', async () => {
    const cacheDir = join(dir, 'cache');
    const args = tokenArgs(issuer, ['--client-secret-file', secretFile, '--cache-dir', cacheDir]);
    const first = JSON.parse((await run(args)).stdout).status.token;
    const second = JSON.parse((await run(args)).stdout).status.token;
    expect(second).toBe(first);
    expect(statSync(cacheDir).mode & 0o777).toBe(0o700);
    const [file] = readdirSync(cacheDir);
    expect(statSync(join(cacheDir, file!)).mode & 0o777).toBe(0o600);
  });

  it('fails with one line, exit 1, no stack trace and no secret for a wrong secret', async () => {
    const wrong = join(dir, 'wrong');
    writeFileSync(wrong, 'not-the-secret\n');
    const result = await run(tokenArgs(issuer, ['--client-secret-file', wrong]));
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^hoop-gateway token: token request to .* failed: invalid_client.*\n$/);
    expect(result.stderr.split('\n')).toHaveLength(2);
    expect(result.stderr).not.toContain('not-the-secret');
    expect(result.stderr).not.toMatch(/\bat .*\.(ts|js):\d+/);
  });

  it('fails with one line when the issuer is unreachable or no secret is given', async () => {
    const down = await run([
      HOOP_GATEWAY_BIN,
      'token',
      '--issuer',
      'http://127.0.0.1:9',
      '--client-id',
      'a',
      '--audience',
      AUDIENCE,
      '--client-secret-file',
      secretFile,
    ]);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(
      /^hoop-gateway token: token request to http:\/\/127\.0\.0\.1:9 failed: .*\n$/,
    );
    expect(down.stderr).not.toContain(SECRET);

    const missing = await run(tokenArgs(issuer));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^hoop-gateway: no client secret: .*\n$/);
  });

  it('runs from the kubeconfig exec entry built by execCredentialKubeconfigUser', async () => {
    const exec = execCredentialKubeconfigUser({
      issuer: issuer.issuer,
      clientId: 'agent-1',
      clientSecretFile: secretFile,
      audience: AUDIENCE,
      cacheDir: join(dir, 'kubeconfig-cache'),
    });
    expect(exec).toMatchObject({ apiVersion: 'client.authentication.k8s.io/v1', interactiveMode: 'Never' });
    const result = await run(exec.args, {}, exec.command);
    expect(JSON.parse(result.stdout).kind).toBe('ExecCredential');
  });
});
