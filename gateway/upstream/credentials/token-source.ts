import { readFile } from 'node:fs/promises';

/**
 * A bearer token read from a file and re-read at most every `refreshMs`: projected service-account
 * tokens rotate on disk, and client-go re-reads them the same way. The file is never read on the
 * request path more than once per interval.
 */
export function fileTokenSource(path: string, refreshMs = 60_000): () => Promise<string> {
  let cached: { token: string; readAt: number } | undefined;
  let pending: Promise<string> | undefined;
  return async () => {
    if (cached && Date.now() - cached.readAt < refreshMs) return cached.token;
    pending ??= readFile(path, 'utf8')
      .then((text) => {
        const token = text.trim();
        cached = { token, readAt: Date.now() };
        return token;
      })
      .catch((error: unknown) => {
        // Keep serving the last good token if a rotation is mid-write; fail only if we never had one.
        if (cached) return cached.token;
        throw error;
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };
}
