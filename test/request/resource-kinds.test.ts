import { describe, expect, it } from 'vitest';
import { BUILTIN_RESOURCES, kindOf, valueKind, valueKindOfPlural } from '../../src/request/resource-kinds.ts';

describe('the built-in resource table', () => {
  it('is group-aware: a CRD that shares a plural with a built-in is not that kind', () => {
    expect(kindOf('', 'secrets')).toBe('Secret');
    expect(kindOf('example.com', 'secrets')).toBeUndefined();
    expect(kindOf('apps', 'deployments')).toBe('Deployment');
    expect(kindOf('extensions', 'deployments')).toBe('Deployment');
    expect(kindOf('', 'deployments')).toBeUndefined();
    expect(kindOf('batch', 'jobs')).toBe('Job');
  });

  it('answers valueKind only for kinds whose objects can hold values', () => {
    expect(kindOf('', 'services')).toBe('Service');
    expect(valueKind('', 'services')).toBeUndefined();
    expect(valueKind('', 'configmaps')).toBe('ConfigMap');
    expect(valueKind('example.com', 'configmaps')).toBeUndefined();
  });

  it('reads by plural alone only through valueKindOfPlural', () => {
    expect(valueKindOfPlural('deployments')).toBe('Deployment');
    expect(valueKindOfPlural('cronjobs')).toBe('CronJob');
    expect(valueKindOfPlural('services')).toBeUndefined();
  });

  it('lists each group and resource once', () => {
    const keys = BUILTIN_RESOURCES.map((r) => `${r.group}/${r.resource}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
