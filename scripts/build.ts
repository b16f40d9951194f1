/**
 * `npm run build`: compiles the product (bin, cli, src, gateway, bot) to JavaScript in dist/, for
 * the published package and the production image, and bundles the web console into dist/console
 * (scripts/build-console.ts). Node does not strip types from files under
 * node_modules, so an installed package must ship JavaScript. The files the code reads at run time
 * beside itself (Lua scripts, the demo policy) are copied to the same relative places. The sandbox
 * package and the tests are not part of it.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, globSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildConsole } from './build-console.ts';

const root = new URL('../', import.meta.url).pathname;
const dist = join(root, 'dist');
const ASSETS = ['src/**/*.lua', 'examples/*.yaml'];

rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
  cwd: root,
  stdio: 'inherit',
});
// cli/demo.ts and cli/sandbox.ts name the sandbox package, so the compiler follows them into it:
// it is development equipment and stays out of the build.
rmSync(join(dist, 'packages'), { recursive: true, force: true });
for (const file of ASSETS.flatMap((pattern) => globSync(pattern, { cwd: root }))) {
  mkdirSync(join(dist, dirname(file)), { recursive: true });
  cpSync(join(root, file), join(dist, file));
}
await buildConsole();
process.stdout.write(`built ${dist}\n`);
