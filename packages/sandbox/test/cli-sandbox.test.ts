import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runKubectl, waitForOutput } from '../../../test/support/kubectl.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('hoop-gateway sandbox', () => {
  it('serves a seeded cluster, writes a working kubeconfig and stops on SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-sandbox-'));
    dirs.push(dir);
    const kubeconfig = join(dir, 'kubeconfig');
    const child = spawn(
      process.execPath,
      [
        'bin/hoop-gateway.ts',
        'sandbox',
        '--port',
        '0',
        '--seed',
        '--kube-version',
        '1.32',
        '--kubeconfig-out',
        kubeconfig,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      const out = await waitForOutput(child, /kubeconfig written to/);
      expect(out).toMatch(/sandbox cluster listening on https:\/\/127\.0\.0\.1:\d+/);
      expect((await stat(kubeconfig)).mode & 0o777).toBe(0o600);
      expect(await readFile(kubeconfig, 'utf8')).toContain('current-context: sandbox');
      const result = await runKubectl({
        kubeconfig,
        args: ['get', 'secrets', '-n', 'payments', '-o', 'name'],
      });
      expect(result.stdout).toBe('secret/db-credentials\n');
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });

  it('refuses a malformed --kube-version with a usage error (exit 2)', async () => {
    const child = spawn(process.execPath, ['bin/hoop-gateway.ts', 'sandbox', '--kube-version', 'latest'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const [code] = await once(child, 'exit');
    expect(code).toBe(2);
    expect(stderr).toContain('--kube-version must look like 1.31');
  });
});
