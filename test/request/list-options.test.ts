/**
 * When a list or watch query does not decode into ListOptions, kube-apiserver's requestinfo.go
 * pins no name from the fieldSelector and reads `watch` with strings.ToLower (not EqualFold). The
 * rows below are ones where kube-apiserver 1.33's audit log disagreed with the gateway before it
 * modelled that (test/kube-apiserver-e2e/classification.test.ts finds them), plus their neighbours.
 */
import { describe, expect, it } from 'vitest';
import { StatusError } from '../../src/errors.ts';
import { listOptionsDecode } from '../../src/request/list-options.ts';
import { classifyRequest } from '../../src/request/request-info.ts';

const PODS = '/api/v1/namespaces/default/pods';

describe('list options that do not decode', () => {
  it.each([
    // A bad limit or timeoutSeconds: the fieldSelector name is not pinned.
    ['fieldSelector=metadata.name%3Dweb-0&limit=abc', 'list', ''],
    ['fieldSelector=metadata.name%3Dweb-0&limit=', 'list', ''],
    ['fieldSelector=metadata.name%3Dweb-0&limit=99999999999999999999', 'list', ''],
    ['fieldSelector=metadata.name%3Dweb-0&timeoutSeconds=1.5', 'list', ''],
    ['fieldSelector=metadata.name%3Dweb-0&limit=%2B5', 'list', 'web-0'],
    ['fieldSelector=metadata.name%3Dweb-0&limit=-1', 'list', 'web-0'],
    ['fieldSelector=metadata.name%3Dweb-0&limit=500&limit=x', 'list', 'web-0'],
    ['watch=FALSE&limit=abc', 'list', ''],
    ['watch=0&limit=abc', 'list', ''],
    ['watch=1&fieldSelector=bogus', 'watch', ''],
    // Plain label selectors decode: the name stays pinned.
    ['fieldSelector=metadata.name%3Dweb-0&labelSelector=app%3Dweb', 'list', 'web-0'],
    ['fieldSelector=metadata.name%3Dweb-0&labelSelector=app+in+(a,b),!tier', 'list', 'web-0'],
    ['fieldSelector=metadata.name%3Dweb-0&labelSelector=app.kubernetes.io/name!%3Dx', 'list', 'web-0'],
  ])('GET pods?%s is %s, name %j', (query, verb, name) => {
    expect(classifyRequest('GET', PODS, query)).toMatchObject({ verb, name });
  });

  it.each([
    'fieldSelector=metadata.name%3Dweb-0&labelSelector=%21%21%21',
    'fieldSelector=metadata.name%3Dweb-0&labelSelector=app+in+(a,+b)',
    'watch=fal%C5%BFe&labelSelector=%3D%3D',
  ])('GET pods?%s is refused: it depends on a label selector the gateway does not parse', (query) => {
    expect(() => classifyRequest('GET', PODS, query)).toThrow(StatusError);
  });

  // `watch=falſe`: EqualFold says false (a list) when the query decodes, ToLower says watch; an
  // empty `watch=` is read as a watch only when the options do not decode. Spellings outside
  // strconv.ParseBool's are refused rather than modelled (src/request/query.ts).
  it.each([
    'watch=fal%C5%BFe',
    'watch=fal%C5%BFe&limit=abc',
    'watch=FAL%C5%BFE&timeoutSeconds=x',
    'watch=&limit=abc',
  ])('GET pods?%s is refused: its watch spelling is not one strconv.ParseBool reads', (query) => {
    expect(() => classifyRequest('GET', PODS, query)).toThrow(StatusError);
  });

  it('a label selector the gateway does not parse is fine where it changes nothing', () => {
    expect(classifyRequest('GET', PODS, 'labelSelector=%21%21%21')).toMatchObject({ verb: 'list', name: '' });
    expect(classifyRequest('GET', PODS, 'watch=1&labelSelector=%21%21%21')).toMatchObject({ verb: 'watch' });
  });

  it('listOptionsDecode', () => {
    expect(listOptionsDecode(new URLSearchParams(''))).toBe('yes');
    expect(listOptionsDecode(new URLSearchParams('limit=10&timeoutSeconds=5'))).toBe('yes');
    expect(listOptionsDecode(new URLSearchParams('limit=ten'))).toBe('no');
    expect(listOptionsDecode(new URLSearchParams('fieldSelector=a'))).toBe('no');
    expect(listOptionsDecode(new URLSearchParams('labelSelector=a%3Db'))).toBe('yes');
    expect(listOptionsDecode(new URLSearchParams('labelSelector=a+%3D+b'))).toBe('unknown');
  });
});
