/**
 * `npm run build:console`: bundles the web console (console/web, Preact + asciinema-player) with
 * Vite into dist/console/, the directory `serve --role console` serves. Everything the page needs
 * is in the bundle (no CDN, no web fonts, no data: URIs), because the console is served with
 * `Content-Security-Policy: default-src 'self'` and has to work offline.
 *
 *   --if-stale   build only when dist/console is missing or older than a source file (npm start,
 *                the test harness and `prepare` use this, so a fresh clone just works)
 *   --optional   a production install (`npm ci --omit=dev`) has no Vite: say so and exit 0; the
 *                production image copies the bundle from its build stage
 */
import { existsSync, globSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const root = new URL('../', import.meta.url).pathname;
export const CONSOLE_SOURCE = join(root, 'console/web');
export const CONSOLE_DIST = join(root, 'dist/console');
/** Outside console/web, the one file the bundle imports (the JSON shapes the server answers with). */
const SHARED_SOURCES = ['console/api.types.ts'];

/** True when dist/console is missing or any source it is built from changed after it. */
export function consoleBundleStale(): boolean {
  const built = join(CONSOLE_DIST, 'index.html');
  if (!existsSync(built)) return true;
  const builtAt = statSync(built).mtimeMs;
  const sources = [
    ...globSync('console/web/**/*', { cwd: root }),
    ...SHARED_SOURCES,
    'scripts/build-console.ts',
    'package-lock.json',
  ];
  return sources.some((file) => {
    const path = join(root, file);
    return existsSync(path) && statSync(path).mtimeMs > builtAt;
  });
}

/**
 * Builds into a directory of its own and swaps it in, so a server reading dist/console never sees
 * a half-written bundle and two builds at once do not interleave their files.
 */
export async function buildConsole(): Promise<void> {
  const { build } = await import('vite');
  const staging = `${CONSOLE_DIST}.building-${process.pid}`;
  try {
    await build({
      root: CONSOLE_SOURCE,
      configFile: false,
      // Absolute asset URLs: the server answers every page path (/sessions/s-…) with index.html.
      base: '/',
      logLevel: 'warn',
      oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
      build: {
        outDir: staging,
        emptyOutDir: true,
        target: 'es2022',
        // No data: URIs: `default-src 'self'` would block them (images, fonts).
        assetsInlineLimit: 0,
        // The polyfill is for browsers without modulepreload; every supported browser has it.
        modulePreload: { polyfill: false },
        reportCompressedSize: false,
      },
    });
    rmSync(CONSOLE_DIST, { recursive: true, force: true });
    renameSync(staging, CONSOLE_DIST);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

async function viteInstalled(): Promise<boolean> {
  try {
    await import('vite');
    return true;
  } catch {
    return false;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: { 'if-stale': { type: 'boolean' }, optional: { type: 'boolean' } },
  });
  if (values.optional && !(await viteInstalled())) {
    process.stdout.write('console bundle not built: Vite is not installed (a production install)\n');
  } else if (values['if-stale'] && !consoleBundleStale()) {
    // Up to date: nothing to say.
  } else {
    await buildConsole();
    process.stdout.write(`built ${CONSOLE_DIST}\n`);
  }
}
