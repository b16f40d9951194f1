/**
 * The folder import rules (docs/architecture.md) are enforced by the linter's restricted-imports
 * rule (biome.json overrides), so a wrong import fails `npm test`. These rows feed biome a probe
 * file at a path inside each folder, over stdin, and check that the rule fires exactly where the
 * architecture forbids the import — and not where it allows it. Each probe is linted in a
 * throwaway directory with the repository's own biome.json, so the checkout is never touched.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;
const BIOME = new URL('../../node_modules/.bin/biome', import.meta.url).pathname;

const work = mkdtempSync(join(tmpdir(), 'import-rules-'));
const config = JSON.parse(readFileSync(join(ROOT, 'biome.json'), 'utf8')) as Record<string, unknown>;
writeFileSync(join(work, 'biome.json'), JSON.stringify({ ...config, vcs: { enabled: false } }));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function lint(path: string, specifier: string): { restricted: boolean; output: string } {
  const file = join(work, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `import { probe } from '${specifier}';\nexport const used = probe;\n`);
  const run = spawnSync(BIOME, ['lint', path], { cwd: work, encoding: 'utf8' });
  rmSync(file);
  const output = `${run.stdout}${run.stderr}`;
  return { restricted: output.includes('noRestrictedImports'), output };
}

describe('folder import rules', () => {
  it.each([
    ['src/approvals/probe.ts', '../../gateway/chain.ts'],
    ['src/approvals/probe.ts', '../../bot/main.ts'],
    ['src/approvals/probe.ts', '../../cli/serve.ts'],
    ['src/probe.ts', '@hoop-gateway/sandbox/server'],
    ['gateway/pipeline/probe.ts', '../../bot/main.ts'],
    ['gateway/probe.ts', '../cli/serve.ts'],
    ['gateway/probe.ts', '@hoop-gateway/sandbox/server'],
    ['bot/workers/probe.ts', '../../gateway/runtime.ts'],
    ['bot/probe.ts', '../cli/serve.ts'],
    ['packages/sandbox/src/probe.ts', '../../../gateway/chain.ts'],
    ['console/web/src/probe.ts', '../../../src/errors.ts'],
    ['console/web/src/pages/probe.ts', '../../../../gateway/chain.ts'],
    ['console/web/src/probe.ts', '../../server/routes.ts'],
    ['console/web/src/probe.ts', 'node:fs'],
    ['console/server/probe.ts', '../../gateway/authn/people-authenticator.ts'],
    ['console/server/api/probe.ts', '../../../bot/main.ts'],
    ['console/server/probe.ts', '../../cli/serve.ts'],
    ['console/server/probe.ts', '../web/src/app.tsx'],
    ['console/server/probe.ts', '@hoop-gateway/sandbox/oidc-issuer'],
    ['gateway/probe.ts', '../console/server/main.ts'],
    ['bot/probe.ts', '../console/server/main.ts'],
    ['src/probe.ts', '../console/server/main.ts'],
  ])('%s may not import %s', (path, specifier) => {
    const result = lint(path, specifier);
    expect(result.restricted, result.output).toBe(true);
  });

  it.each([
    ['gateway/probe.ts', '../src/errors.ts'],
    ['bot/probe.ts', '../src/errors.ts'],
    ['cli/probe.ts', '../gateway/main.ts'],
    ['cli/probe.ts', '../bot/main.ts'],
    ['cli/probe.ts', '@hoop-gateway/sandbox/server'],
    ['packages/sandbox/src/probe.ts', '../../../src/errors.ts'],
    ['console/web/src/pages/probe.ts', '../../../api.types.ts'],
    ['console/web/src/probe.ts', 'preact/hooks'],
    ['console/server/api/probe.ts', '../../../src/recording/session-index.ts'],
    ['console/server/probe.ts', '../api.types.ts'],
    ['cli/probe.ts', '../console/server/main.ts'],
  ])('%s may import %s', (path, specifier) => {
    const result = lint(path, specifier);
    expect(result.restricted, result.output).toBe(false);
  });
});
