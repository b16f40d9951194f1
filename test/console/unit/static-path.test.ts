import { describe, expect, it } from 'vitest';
import { safeRelative } from '../../../console/server/static-files.ts';

describe('static file paths', () => {
  it.each([
    ['/', ''],
    ['/index.html', 'index.html'],
    ['/assets/app-1a2b3c.js', 'assets/app-1a2b3c.js'],
    ['/sessions/s-7k2m9xq4ad', 'sessions/s-7k2m9xq4ad'],
    ['//assets///x.css', 'assets/x.css'],
    ['/./assets/x.css', 'assets/x.css'],
  ])('maps %s to %j', (path, expected) => {
    expect(safeRelative(path)).toBe(expected);
  });

  it.each([
    '/../etc/passwd',
    '/assets/../../etc/passwd',
    '/%2e%2e/etc/passwd',
    '/..%2fetc%2fpasswd',
    '/assets/%2e%2e%2f%2e%2e%2fsecret',
    '/..\\secret',
    '/%5c..%5csecret',
    '/index.html%00.js',
    '/.env',
    '/assets/.git/config',
    '/%E0%A4%A',
  ])('refuses %s', (path) => {
    expect(safeRelative(path)).toBeNull();
  });
});
