import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StatusError } from '../../src/errors.ts';
import { classifyRequest } from '../../src/request/request-info.ts';

/**
 * Properties over adversarial paths: whatever the segments, the classifier either refuses with a
 * 400 Status or returns names that cannot climb out of their place in the path.
 */

const pieces = [
  'api',
  'apis',
  'v1',
  'apps',
  'namespaces',
  'default',
  'pods',
  'p1',
  'watch',
  'proxy',
  'exec',
  'status',
  'finalize',
  '.',
  '..',
  '%2E',
  '%2e',
  '%2F',
  '%2f',
  '%5C',
  '\\',
  '/',
  '%',
  '%25',
  '%00',
  '%0a',
  '%zz',
  '%C0%AF',
  '%E2%80%A8',
  'a',
  '-',
  '_',
  '~',
  ':',
  '@',
  '%3A',
  '%41',
  '?',
  '#',
  ' ',
  'é',
];
const clean = [
  'api',
  'apis',
  'v1',
  'apps',
  'namespaces',
  'default',
  'pods',
  'p1',
  'watch',
  'proxy',
  'exec',
  'status',
];
const segment = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...clean) },
  {
    weight: 1,
    arbitrary: fc.array(fc.constantFrom(...pieces), { minLength: 0, maxLength: 4 }).map((p) => p.join('')),
  },
);
const path = fc
  .tuple(fc.array(segment, { minLength: 0, maxLength: 8 }), fc.boolean())
  .map(([segments, trailing]) => `/${segments.join('/')}${trailing ? '/' : ''}`);
const method = fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE');
const query = fc.constantFrom(
  '',
  'watch=1',
  'watch=0',
  'fieldSelector=metadata.name%3Dx',
  'fieldSelector=metadata.name%3D..',
);

describe('classifyRequest properties', () => {
  it('either refuses with 400 or yields names without "/" or ".."', () => {
    let classifiedResources = 0;
    fc.assert(
      fc.property(method, path, query, (m, p, q) => {
        let info: ReturnType<typeof classifyRequest>;
        try {
          info = classifyRequest(m, p, q);
        } catch (error) {
          expect(error).toBeInstanceOf(StatusError);
          expect((error as StatusError).code).toBe(400);
          return;
        }
        for (const value of [info.namespace, info.name, info.resource, info.subresource, info.apiGroup]) {
          expect(value).not.toContain('/');
          expect(value).not.toContain('..');
          expect(value).not.toMatch(/[\u0000-\u001f\\]/);
        }
        for (const part of info.parts) expect(part === '' || part === '.' || part.includes('..')).toBe(false);
        if (info.isResourceRequest) classifiedResources++;
      }),
      { numRuns: 3000 },
    );
    // The generator must also reach the accepting side, or the property says nothing.
    expect(classifiedResources).toBeGreaterThan(30);
  });

  it('percent-encoding an unreserved letter never changes the classification', () => {
    const name = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/);
    fc.assert(
      fc.property(method, name, name, fc.nat(), (m, ns, n, at) => {
        const i = at % n.length;
        const encoded = `${n.slice(0, i)}%${n.charCodeAt(i).toString(16).toUpperCase()}${n.slice(i + 1)}`;
        const plain = classifyRequest(m, `/api/v1/namespaces/${ns}/pods/${n}`, '');
        const escaped = classifyRequest(m, `/api/v1/namespaces/${ns}/pods/${encoded}`, '');
        expect(escaped).toEqual(plain);
      }),
      { numRuns: 500 },
    );
  });
});
