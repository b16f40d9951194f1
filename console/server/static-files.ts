import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, sep } from 'node:path';
import { escapeHtml } from './http.ts';

/**
 * The built front end (console/web, built by Vite into `console.assets`), served as files from
 * that directory and nothing outside it: the decoded path is normalised, must stay under the
 * directory after symlinks are resolved, and may not name a dotfile. A path that is not a file
 * gets index.html (the front end's own routes, e.g. /sessions/s-…), except one that looks like
 * an asset (has an extension), which gets a 404. Without a bundle, a page says how to build it.
 */
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
};

export function createStaticFiles(
  dir: string,
): (req: IncomingMessage, res: ServerResponse, pathname: string) => Promise<void> {
  return async (req, res, pathname) => {
    const root = await realpath(dir).catch(() => undefined);
    const index = root ? await fileIn(root, 'index.html') : undefined;
    if (!root || !index) return notBuilt(res, dir);
    const relative = safeRelative(pathname);
    if (relative === null) return notFoundText(res);
    const file = relative === '' ? index : await fileIn(root, relative);
    if (file) return sendFile(req, res, file, file === index);
    if (extname(relative) !== '') return notFoundText(res);
    return sendFile(req, res, index, true);
  };
}

/** The request path as a relative file path, or null when it could leave the directory. */
export function safeRelative(pathname: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const parts = decoded.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.some((part) => part === '..' || part.startsWith('.'))) return null;
  return parts.join('/');
}

/** The real path of `relative` under `root` when it is a regular file there, else undefined. */
async function fileIn(root: string, relative: string): Promise<string | undefined> {
  try {
    const real = await realpath(join(root, relative));
    if (real !== root && !real.startsWith(root + sep)) return undefined;
    return (await stat(real)).isFile() ? real : undefined;
  } catch {
    return undefined;
  }
}

async function sendFile(
  req: IncomingMessage,
  res: ServerResponse,
  file: string,
  isIndex: boolean,
): Promise<void> {
  const size = (await stat(file)).size;
  res.writeHead(200, {
    'content-type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'content-length': size,
    // Vite names assets by content hash; index.html must be re-read to find new ones.
    'cache-control': isIndex
      ? 'no-cache'
      : file.includes(`${sep}assets${sep}`)
        ? 'public, max-age=31536000, immutable'
        : 'no-cache',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  await new Promise<void>((resolve) => {
    const stream = createReadStream(file);
    stream.on('error', () => {
      res.destroy();
      resolve();
    });
    stream.on('end', resolve);
    stream.pipe(res);
  });
}

function notFoundText(res: ServerResponse): void {
  const body = 'not found\n';
  res.writeHead(404, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

function notBuilt(res: ServerResponse, dir: string): void {
  const body = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>hoop-gateway console: front end not built</title></head>
<body><h1>The console's front end is not built</h1>
<p>The console server is running, but there is no <code>index.html</code> in <code>${escapeHtml(dir)}</code>.</p>
<p>Build it with <code>npm run build:console</code> (it writes <code>dist/console/</code>), or point
<code>console.assets</code> in the config at a built copy. The API under <code>/api/v1/</code> works without it.</p>
</body></html>
`;
  res.writeHead(503, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
}
