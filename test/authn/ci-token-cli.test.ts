import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { HOOP_GATEWAY_BIN } from '../../cli/credentials/exec-credential.ts';
import { type CiIssuer, githubClaims, startCiIssuer } from '../support/ci-issuer.ts';

/**
 * `hoop-gateway token --from …` and `hoop-gateway kubeconfig` as a pipeline runs them: child
 * processes, an ExecCredential on stdout, one line and exit 2 for bad input, never the token.
 */

const AUDIENCE = 'https://gateway.test';
let issuer: CiIssuer;
let dir: string;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function hoop(args: string[], env: Record<string, string> = {}): Promise<Result> {
  const { ACTIONS_ID_TOKEN_REQUEST_URL: _u, ACTIONS_ID_TOKEN_REQUEST_TOKEN: _t, ...inherited } = process.env;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [HOOP_GATEWAY_BIN, ...args],
      { env: { ...inherited, ...env } },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
      },
    );
  });
}

function credential(result: Result): { token: string; expirationTimestamp: string } {
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  const parsed = JSON.parse(result.stdout) as {
    apiVersion: string;
    kind: string;
    status: { token: string; expirationTimestamp: string };
  };
  expect(parsed.apiVersion).toBe('client.authentication.k8s.io/v1');
  expect(parsed.kind).toBe('ExecCredential');
  return parsed.status;
}

beforeAll(async () => {
  issuer = await startCiIssuer('github', AUDIENCE);
  dir = mkdtempSync(join(tmpdir(), 'hoop-ci-token-'));
});

afterAll(async () => {
  await issuer?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('hoop-gateway token --from-file / --from-env', () => {
  it('prints the token with its exp as expirationTimestamp', async () => {
    const exp = Math.floor(Date.now() / 1000) + 900;
    const token = await issuer.sign(githubClaims(AUDIENCE, { exp }));
    const file = join(dir, 'id-token');
    writeFileSync(file, `${token}\n`);
    const fromFile = credential(await hoop(['token', '--from-file', file]));
    expect(fromFile.token).toBe(token);
    expect(fromFile.expirationTimestamp).toBe(new Date(exp * 1000).toISOString().replace(/\.\d+Z$/, 'Z'));
    const fromEnv = credential(
      await hoop(['token', '--from-env', 'CI_JOB_TOKEN_FOR_HOOP'], { CI_JOB_TOKEN_FOR_HOOP: token }),
    );
    expect(fromEnv).toEqual(fromFile);
  });

  it.each([
    [
      ['token', '--from-file', '/nonexistent/token'],
      {},
      /cannot read the token file \/nonexistent\/token: ENOENT/,
    ],
    [['token', '--from-env', 'HOOP_MISSING'], {}, /HOOP_MISSING is not set or empty/],
    [['token', '--from-env', 'HOOP_BAD'], { HOOP_BAD: 'not-a-jwt' }, /does not hold a JWT/],
    [['token', '--from-env', 'HOOP_BAD'], { HOOP_BAD: 'a.eyJzdWIiOiJ4In0.c' }, /has no "exp" claim/],
    [['token', '--from', 'circleci'], {}, /not a known token source/],
    [['token', '--from', 'github-actions', '--audience', 'x'], {}, /ACTIONS_ID_TOKEN_REQUEST_URL .* not set/],
    [['token', '--from-env', 'A', '--from-file', 'B'], {}, /use one of/],
  ] as const)('bad input %j: one line, exit 2', async (args, env, message) => {
    const result = await hoop([...args], env);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).not.toMatch(/\bat .*\.ts:\d+/);
  });
});

describe('hoop-gateway token --from github-actions', () => {
  it("requests the job's token for the audience as GitHub documents", async () => {
    const env = {
      ACTIONS_ID_TOKEN_REQUEST_URL: issuer.githubRequestUrl,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: issuer.githubRequestToken,
    };
    const status = credential(await hoop(['token', '--from', 'github-actions', '--audience', AUDIENCE], env));
    const payload = JSON.parse(Buffer.from(status.token.split('.')[1]!, 'base64url').toString()) as {
      aud: string;
      repository: string;
    };
    expect(payload.aud).toBe(AUDIENCE);
    expect(payload.repository).toBe('acme/payments');
  });

  it('says so when GitHub refuses, without printing the request bearer', async () => {
    const env = {
      ACTIONS_ID_TOKEN_REQUEST_URL: issuer.githubRequestUrl,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'wrong-bearer',
    };
    const result = await hoop(['token', '--from', 'github-actions', '--audience', AUDIENCE], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/answered 401.*id-token: write/);
    expect(result.stderr).not.toContain('wrong-bearer');
  });
});

describe('hoop-gateway kubeconfig', () => {
  it('writes a kubeconfig whose user runs the token plugin', async () => {
    const caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const output = join(dir, 'kubeconfig');
    const result = await hoop([
      'kubeconfig',
      '--gateway',
      'https://gateway.example.com/',
      '--cluster',
      'prod',
      '--from',
      'github-actions',
      '--audience',
      AUDIENCE,
      '--ca',
      caFile,
      '--output',
      output,
    ]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const { readFileSync } = await import('node:fs');
    const config = parse(readFileSync(output, 'utf8')) as {
      clusters: Array<{ cluster: Record<string, string> }>;
      users: Array<{ user: { exec: { args: string[]; apiVersion: string } } }>;
    };
    expect(config.clusters[0]?.cluster['server']).toBe('https://gateway.example.com/clusters/prod');
    expect(config.clusters[0]?.cluster['certificate-authority-data']).toBeDefined();
    expect(config.users[0]?.user.exec.args.slice(1)).toEqual([
      'token',
      '--from',
      'github-actions',
      '--audience',
      AUDIENCE,
    ]);
    expect(config.users[0]?.user.exec.apiVersion).toBe('client.authentication.k8s.io/v1');
  });

  it.each([
    [['kubeconfig', '--cluster', 'prod', '--from-env', 'T'], /--gateway URL is required/],
    [
      ['kubeconfig', '--gateway', 'http://gw', '--cluster', 'prod', '--from-env', 'T'],
      /must be an https URL/,
    ],
    [['kubeconfig', '--gateway', 'https://gw', '--cluster', 'prod'], /say where the job's token comes from/],
    [
      [
        'kubeconfig',
        '--gateway',
        'https://gw',
        '--cluster',
        'prod',
        '--from-env',
        'T',
        '--ca',
        '/nonexistent',
      ],
      /cannot read the CA file/,
    ],
  ] as const)('refuses %j with exit 2', async (args, message) => {
    const result = await hoop([...args]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});
