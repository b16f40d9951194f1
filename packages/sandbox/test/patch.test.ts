import { describe, expect, it } from 'vitest';
import { StatusError } from '../../../src/errors.ts';
import { applyJsonPatch } from '../src/patch/json-patch.ts';
import { applyMergePatch } from '../src/patch/merge-patch.ts';
import { mergeApplied } from '../src/patch/server-side-apply.ts';
import { applyStrategicMergePatch, removalsBetween } from '../src/patch/strategic-merge.ts';

const deployment = {
  metadata: { name: 'web', labels: { app: 'web' }, finalizers: ['a'] },
  spec: {
    replicas: 2,
    template: {
      spec: {
        containers: [
          {
            name: 'web',
            image: 'nginx:1.26',
            env: [{ name: 'A', value: '1' }],
            ports: [{ containerPort: 80 }],
          },
          { name: 'sidecar', image: 'envoy:1' },
        ],
      },
    },
  },
};

describe('JSON merge patch (RFC 7386)', () => {
  it('merges objects, deletes on null and replaces lists', () => {
    const patched = applyMergePatch(deployment, {
      metadata: { labels: { app: null, tier: 'x' } },
      spec: { template: { spec: { containers: [{ name: 'only' }] } } },
    });
    expect(patched).toMatchObject({ metadata: { labels: { tier: 'x' } }, spec: { replicas: 2 } });
    expect((patched as typeof deployment).spec.template.spec.containers).toEqual([{ name: 'only' }]);
    expect(deployment.metadata.labels).toEqual({ app: 'web' }); // input untouched
  });
});

describe('JSON patch (RFC 6902)', () => {
  it('applies add, replace, remove, move, copy and test in order', () => {
    const result = applyJsonPatch({ a: { b: 1 }, list: [1, 2] }, [
      { op: 'test', path: '/a/b', value: 1 },
      { op: 'add', path: '/list/-', value: 3 },
      { op: 'add', path: '/list/0', value: 0 },
      { op: 'replace', path: '/a/b', value: 2 },
      { op: 'copy', from: '/a', path: '/c' },
      { op: 'move', from: '/c/b', path: '/d' },
      { op: 'remove', path: '/list/1' },
      { op: 'add', path: '/e~1f', value: true },
    ]);
    expect(result).toEqual({ a: { b: 2 }, list: [0, 2, 3], c: {}, d: 2, 'e/f': true });
  });

  it('answers 422 for a failed test or a missing path, 400 for a malformed patch', () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return (error as StatusError).code;
      }
      return 0;
    };
    expect(code(() => applyJsonPatch({ a: 1 }, [{ op: 'test', path: '/a', value: 2 }]))).toBe(422);
    expect(code(() => applyJsonPatch({ a: 1 }, [{ op: 'remove', path: '/b/c' }]))).toBe(422);
    expect(code(() => applyJsonPatch({ a: 1 }, { op: 'add' }))).toBe(400);
    expect(() => applyJsonPatch({}, [{ op: 'jump', path: '/a' }])).toThrow(StatusError);
  });
});

describe('strategic merge patch', () => {
  it('merges containers by name, env by name and container ports by containerPort', () => {
    const patched = applyStrategicMergePatch(deployment, {
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: 'web',
                image: 'nginx:1.27',
                env: [{ name: 'B', value: '2' }],
                ports: [{ containerPort: 80, name: 'http' }],
              },
            ],
          },
        },
      },
    }) as typeof deployment;
    const [web, sidecar] = patched.spec.template.spec.containers;
    expect(web).toEqual({
      name: 'web',
      image: 'nginx:1.27',
      env: [
        { name: 'A', value: '1' },
        { name: 'B', value: '2' },
      ],
      ports: [{ containerPort: 80, name: 'http' }],
    });
    expect(sidecar).toEqual({ name: 'sidecar', image: 'envoy:1' });
  });

  it('honours $patch delete/replace, $setElementOrder, $retainKeys and $deleteFromPrimitiveList', () => {
    const patched = applyStrategicMergePatch(deployment, {
      metadata: { '$deleteFromPrimitiveList/finalizers': ['a'], labels: { $patch: 'replace', only: 'me' } },
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'web' }],
            containers: [
              { name: 'web', $patch: 'delete' },
              { name: 'sidecar', image: 'envoy:2' },
            ],
          },
        },
        strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: { maxSurge: 1 } },
      },
    }) as {
      metadata: { finalizers: string[]; labels: Record<string, string> };
      spec: { template: { spec: { containers: unknown[] } }; strategy: unknown };
    };
    expect(patched.metadata.finalizers).toEqual([]);
    expect(patched.metadata.labels).toEqual({ only: 'me' });
    expect(patched.spec.template.spec.containers).toEqual([{ name: 'sidecar', image: 'envoy:2' }]);
    expect(patched.spec.strategy).toEqual({ type: 'Recreate' });
  });

  it('unions set-like primitive lists (finalizers)', () => {
    const patched = applyStrategicMergePatch(deployment, {
      metadata: { finalizers: ['b', 'a'] },
    }) as typeof deployment;
    expect(patched.metadata.finalizers).toEqual(['a', 'b']);
  });
});

describe('server-side apply', () => {
  it('removes what a manager stopped applying and keeps what others set', () => {
    const first = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { x: '1', y: '2' } };
    const live = {
      ...first,
      metadata: { name: 'c', resourceVersion: '7', labels: { other: 'kept' } },
      data: { x: '1', y: '2', z: 'by-other' },
    };
    const second = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { x: '10' } };
    const result = mergeApplied(live, second, first);
    expect(result['data']).toEqual({ x: '10', z: 'by-other' });
    expect(result['metadata']).toEqual({ name: 'c', resourceVersion: '7', labels: { other: 'kept' } });
  });

  it('computes list removals by merge key', () => {
    const before = {
      spec: {
        containers: [
          { name: 'a', image: 'x', args: ['1'] },
          { name: 'b', image: 'y' },
        ],
      },
    };
    const after = { spec: { containers: [{ name: 'a', image: 'x' }] } };
    expect(removalsBetween(before, after)).toEqual({
      spec: {
        containers: [
          { name: 'b', $patch: 'delete' },
          { name: 'a', args: null },
        ],
      },
    });
  });
});
