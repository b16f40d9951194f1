import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { API_PREFIX, mayBeUnderApi } from '../../gateway/approvals-api/router.ts';

/**
 * The router skips parsing a request target that cannot be under `/hoop/`. That shortcut must
 * never send a request the URL parser would route to the approvals API on to the agent pipeline
 * (nor the other way round): whenever the parsed path is under the prefix, the guard says "maybe".
 */

const pieces = [
  '/',
  '//',
  '\\',
  'hoop',
  'ho',
  'op',
  'h',
  'o',
  'p',
  'HOOP',
  '%68oop',
  'h%6Fop',
  '.',
  '..',
  '%2e',
  '%2E.',
  '\t',
  '\n',
  '\r',
  ' ',
  '\u0000',
  '?',
  '#',
  'v1',
  'clusters',
  'reviews',
  'é',
];

const targets = fc.array(fc.constantFrom(...pieces), { maxLength: 12 }).map((parts) => parts.join(''));

function parsedUnderApi(target: string): boolean {
  return URL.parse(target, 'https://gateway.invalid')?.pathname.startsWith(API_PREFIX) ?? false;
}

describe('the approvals API prefix shortcut', () => {
  it('says "maybe" for every target the URL parser puts under /hoop/', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          targets,
          fc.string(),
          fc.constant('/').chain((s) => targets.map((t) => s + t)),
        ),
        (target) => {
          if (parsedUnderApi(target)) expect(mayBeUnderApi(target)).toBe(true);
        },
      ),
      { numRuns: 20_000 },
    );
  });

  it('skips the parse for agent requests and keeps it for the ones that need it', () => {
    expect(mayBeUnderApi('/clusters/sandbox/api/v1/namespaces/default/configmaps/web')).toBe(false);
    expect(mayBeUnderApi('/clusters/sandbox/api/v1/pods?watch=1&labelSelector=app%3Dweb')).toBe(false);
    // Normalised by the parser into /hoop/…: dot segments, backslashes, a tab inside the word.
    for (const target of [
      '/hoop/v1/reviews',
      '/clusters/../hoop/v1/login',
      '\\hoop\\v1\\whoami',
      '/ho\top/v1/login',
    ]) {
      expect(parsedUnderApi(target)).toBe(true);
      expect(mayBeUnderApi(target)).toBe(true);
    }
  });
});
