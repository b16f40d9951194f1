/**
 * Where to send the browser after sign-in: only a path on this console. Anything that could leave
 * it — an absolute URL, a scheme-relative `//host`, a backslash some browsers read as a slash,
 * control characters, or a path that resolves to another origin — becomes `/`.
 */
export function safeReturnPath(raw: string | null | undefined, publicUrl: string): string {
  if (!raw || raw.length > 2000) return '/';
  if (!raw.startsWith('/') || raw.startsWith('//') || raw.includes('\\')) return '/';
  if (/[\u0000-\u001f\u007f]/.test(raw)) return '/';
  let url: URL;
  try {
    url = new URL(raw, publicUrl);
  } catch {
    return '/';
  }
  if (url.origin !== new URL(publicUrl).origin) return '/';
  const path = `${url.pathname}${url.search}${url.hash}`;
  // Back into sign-in would loop.
  return path.startsWith('/auth/') ? '/' : path;
}
