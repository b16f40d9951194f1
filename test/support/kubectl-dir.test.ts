import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

/**
 * The test support's kubectl binaries come from `$KUBECTL_DIR` when set, and a version the
 * directory lacks is reported by the path of the missing binary (the reason its suites skip).
 */
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hoop-kubectl-dir-'));
  const stub = join(dir, 'kubectl.1.99');
  await writeFile(stub, '#!/bin/sh\necho "stub kubectl $*"\n');
  await chmod(stub, 0o755);
});
afterAll(async () => rm(dir, { recursive: true, force: true }));
afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

async function supportWith(kubectlDir: string | undefined) {
  vi.stubEnv('KUBECTL_DIR', kubectlDir);
  vi.resetModules();
  return import('./kubectl.ts');
}

describe('KUBECTL_DIR', () => {
  it('picks the versioned binaries from $KUBECTL_DIR and runs them from there', async () => {
    const support = await supportWith(dir);
    expect(support.KUBECTL_DIR).toBe(dir);
    expect(support.kubectlPath('1.99')).toBe(join(dir, 'kubectl.1.99'));
    expect(support.missingKubectl(['1.99'])).toBeUndefined();
    const result = await support.runKubectl({
      kubeconfig: join(dir, 'kubeconfig'),
      version: '1.99',
      args: ['version'],
    });
    expect(result).toMatchObject({ code: 0, stdout: 'stub kubectl version\n' });
  });

  it('names each missing binary', async () => {
    const support = await supportWith(dir);
    const reason = support.missingKubectl(['1.99', '1.98', '1.97']);
    expect(reason).toContain(`no ${join(dir, 'kubectl.1.98')}, ${join(dir, 'kubectl.1.97')}`);
    expect(reason).not.toContain('kubectl.1.99');
    expect(reason).toContain('KUBECTL_DIR');
  });
});
