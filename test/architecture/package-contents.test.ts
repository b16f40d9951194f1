/**
 * The sandbox (in-memory cluster, demo OpenID issuer) is test and demo equipment: the published
 * package and the production image leave it out, and nothing it needs is a production dependency.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;
const manifest = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

describe('what ships', () => {
  it('npm pack leaves out the sandbox package and the tests', () => {
    const run = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(run.status, run.stderr).toBe(0);
    const [pack] = JSON.parse(run.stdout) as Array<{ files: Array<{ path: string }> }>;
    const paths = pack?.files.map((file) => file.path) ?? [];
    expect(paths).toContain('bin/hoop-gateway.ts');
    expect(paths).toContain('gateway/chain.ts');
    expect(paths.filter((path) => path.startsWith('packages/') || path.startsWith('test/'))).toEqual([]);
  });

  it('the demo issuer and the sandbox are development dependencies only', () => {
    expect(Object.keys(manifest.dependencies)).not.toContain('oidc-provider');
    expect(Object.keys(manifest.dependencies)).not.toContain('@hoop-gateway/sandbox');
    expect(manifest.devDependencies['@hoop-gateway/sandbox']).toBeDefined();
  });

  it('the production image copies no sandbox', () => {
    const dockerfile = readFileSync(`${ROOT}Dockerfile`, 'utf8');
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).not.toMatch(/COPY\s+(\.\/)?(packages|sandbox)\b/);
  });
});
