import { describe, expect, it } from 'vitest';
import { safeReturnPath } from '../../../console/server/auth/return-path.ts';

const ORIGIN = 'https://console.example.com';

describe('where sign-in returns to', () => {
  it.each([
    ['/sessions/s-7k2m9xq4ad', '/sessions/s-7k2m9xq4ad'],
    ['/sessions?agent=agent-1&hasExec=true', '/sessions?agent=agent-1&hasExec=true'],
    ['/reviews/r-7f3k2q#decide', '/reviews/r-7f3k2q#decide'],
    ['/', '/'],
  ])('keeps the path on this console: %s', (raw, expected) => {
    expect(safeReturnPath(raw, ORIGIN)).toBe(expected);
  });

  it.each([
    'https://evil.example/steal',
    '//evil.example/steal',
    '///evil.example',
    '/\\evil.example',
    '\\\\evil.example',
    'javascript:alert(1)',
    'evil.example',
    ' /sessions',
    '/sessions\r\nSet-Cookie: x=1',
    '/\tevil',
    '/auth/login?return=/x',
    '/auth/callback?code=x',
    '',
    `/${'a'.repeat(2001)}`,
  ])('sends anything else to /: %j', (raw) => {
    expect(safeReturnPath(raw, ORIGIN)).toBe('/');
  });

  it('answers / without a return at all', () => {
    expect(safeReturnPath(null, ORIGIN)).toBe('/');
    expect(safeReturnPath(undefined, ORIGIN)).toBe('/');
  });
});
