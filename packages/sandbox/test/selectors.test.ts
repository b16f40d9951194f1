import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StatusError } from '../../../src/errors.ts';
import {
  formatLabelSelector,
  fromLabelSelectorObject,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
} from '../src/store/selectors.ts';

const labels = { app: 'web', tier: 'frontend', 'app.kubernetes.io/part-of': 'shop', replicas: '3' };
const matches = (selector: string): boolean => matchesLabels(parseLabelSelector(selector), labels);

describe('label selectors', () => {
  it.each([
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app=api', false],
    ['app!=api', true],
    ['missing!=x', true],
    ['tier in (frontend, backend)', true],
    ['tier in (backend)', false],
    ['tier notin (backend)', true],
    ['missing notin (x)', true],
    ['app', true],
    ['!app', false],
    ['!missing', true],
    ['app.kubernetes.io/part-of=shop', true],
    ['app=web,tier in (frontend),!missing', true],
    ['app=web,tier=backend', false],
    ['replicas>2', true],
    ['replicas<3', false],
  ])('%s → %s', (selector, expected) => {
    expect(matches(selector)).toBe(expected);
  });

  it('refuses malformed selectors with 400 BadRequest', () => {
    for (const bad of ['app=web=x', 'Bad Key=1', 'app in (a', '-app=1', 'x>y']) {
      const attempt = () => parseLabelSelector(bad);
      expect(attempt, bad).toThrow(StatusError);
      try {
        attempt();
      } catch (error) {
        expect((error as StatusError).code).toBe(400);
      }
    }
  });

  it('converts metav1.LabelSelector objects and formats them back', () => {
    const requirements = fromLabelSelectorObject({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['a', 'b'] },
        { key: 'gone', operator: 'DoesNotExist' },
      ],
    });
    expect(formatLabelSelector(requirements)).toBe('app=web,tier in (a,b),!gone');
    expect(matchesLabels(requirements, { app: 'web', tier: 'b' })).toBe(true);
    expect(matchesLabels(requirements, { app: 'web', tier: 'b', gone: '' })).toBe(false);
  });

  it('round-trips equality selectors built from arbitrary label maps', () => {
    const key = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9]$/);
    const value = fc.stringMatching(/^[a-z0-9]([a-z0-9.-]{0,10}[a-z0-9])?$/);
    fc.assert(
      fc.property(fc.dictionary(key, value, { minKeys: 1, maxKeys: 5 }), (map) => {
        const selector = Object.entries(map)
          .map(([k, v]) => `${k}=${v}`)
          .join(',');
        const parsed = parseLabelSelector(selector);
        expect(matchesLabels(parsed, map)).toBe(true);
        expect(formatLabelSelector(parsed)).toBe(selector);
      }),
    );
  });
});

describe('field selectors', () => {
  const pod = { metadata: { name: 'web-1', namespace: 'default' }, status: { phase: 'Running' } };
  it.each([
    ['metadata.name=web-1', true],
    ['metadata.name==web-1', true],
    ['metadata.name!=web-1', false],
    ['metadata.namespace=default,status.phase=Running', true],
    ['status.phase!=Running', false],
    ['spec.nodeName=', true],
  ])('%s → %s', (selector, expected) => {
    expect(matchesFields(parseFieldSelector(selector), pod)).toBe(expected);
  });

  it('refuses a selector without an operator', () => {
    expect(() => parseFieldSelector('metadata.name')).toThrow(StatusError);
  });
});
