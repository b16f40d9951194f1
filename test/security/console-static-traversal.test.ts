import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Stack, startStack } from '../support/stack.ts';

/**
 * Path traversal through the console's static files: requests whose path, raw or percent-encoded,
 * climbs out of the bundle directory, names a dotfile, or follows a symlink out of it. None may
 * return a byte of the file beside the bundle; the front end's own routes get index.html, with
 * the strict security headers on every answer.
 */
let stack: Stack;
let root: string;
const SECRET = 'the-file-next-to-the-bundle-must-never-be-served';

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'hoop-console-assets-'));
  const bundle = join(root, 'bundle');
  await mkdir(join(bundle, 'assets'), { recursive: true });
  await writeFile(
    join(bundle, 'index.html'),
    '<!DOCTYPE html><title>console</title><script type="module" src="/assets/app.js"></script>',
  );
  await writeFile(join(bundle, 'assets', 'app.js'), 'console.log("app");');
  await writeFile(join(bundle, '.env'), SECRET);
  await writeFile(join(root, 'secret.txt'), SECRET);
  await symlink(join(root, 'secret.txt'), join(bundle, 'assets', 'link.js'));
  stack = await startStack({ policy: { default: 'deny', rules: [] }, console: { assets: bundle } });
});

afterAll(async () => {
  await stack?.close();
  await rm(root, { recursive: true, force: true });
});

/** A request with the path exactly as written (no client-side normalisation). */
function raw(
  path: string,
  method = 'GET',
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  const url = new URL(stack.console!.publicUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path, method, ca: stack.console!.caPem, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

it('serves the bundle with strict security headers, and index.html for the front end’s routes', async () => {
  for (const path of ['/', '/sessions/s-7k2m9xq4ad', '/reviews']) {
    const page = await raw(path);
    expect(page.status, path).toBe(200);
    expect(page.body).toContain('<title>console</title>');
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toBe(
      "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; base-uri 'none'; object-src 'none'; form-action 'self'; frame-ancestors 'none'",
    );
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.headers['x-frame-options']).toBe('DENY');
  }
  const script = await raw('/assets/app.js');
  expect(script.status).toBe(200);
  expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
  expect((await raw('/assets/missing.js')).status).toBe(404);
  expect((await raw('/', 'PUT')).status).toBe(405);
  // API errors carry the same headers.
  expect((await raw('/api/v1/me')).headers['content-security-policy']).toContain("frame-ancestors 'none'");
});

it.each([
  '/../secret.txt',
  '/../../secret.txt',
  '/assets/../../secret.txt',
  '/%2e%2e/secret.txt',
  '/%2E%2E%2Fsecret.txt',
  '/..%2fsecret.txt',
  '/assets/..%2f..%2fsecret.txt',
  '/..%5csecret.txt',
  '/%2e%2e%5c%2e%2e%5csecret.txt',
  '/assets/link.js',
  '/.env',
  '/%2eenv',
  '/index.html%00/../../secret.txt',
  `/${'..%2f'.repeat(20)}etc/passwd`,
])('never serves what lies outside the bundle: %s', async (path) => {
  const answer = await raw(path);
  expect(answer.body).not.toContain(SECRET);
  expect(answer.body).not.toContain('root:x:0:0');
  expect([200, 400, 404]).toContain(answer.status);
  if (answer.status === 200) expect(answer.body).toContain('<title>console</title>');
});

it('answers a readable page that says how to build the front end when the bundle is missing', async () => {
  const bundle = join(root, 'bundle');
  await rename(bundle, join(root, 'moved'));
  try {
    const page = await raw('/sessions');
    expect(page.status).toBe(503);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain("The console's front end is not built");
    expect(page.body).toContain('npm run build:console');
  } finally {
    await rename(join(root, 'moved'), bundle);
  }
});
