import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadPolicy } from '../../src/policy/load.ts';
import { loadPolicyFile } from '../../src/policy/load-file.ts';

/**
 * `resources:` entries no cluster serves load (the policy is valid) but carry a warning naming
 * the field, its line and the plural that was meant; entries that may be custom resources, and
 * globs, are left alone.
 */

const warningsOf = (match: string): readonly string[] =>
  loadPolicy(`rules:\n  - name: r\n    action: review\n    match: ${match}\n`).warnings;

describe('resources no cluster serves', () => {
  it.each([
    ['a singular', '{ resources: [namespace], verbs: [delete] }', '"namespace"', '"namespaces"'],
    ['a Kind', '{ resources: [Deployment] }', '"Deployment"', '"deployments"'],
    ['a short name', '{ resources: [cm] }', '"cm"', '"configmaps"'],
    ['a plural in the wrong case', '{ resources: [Pods] }', '"Pods"', '"pods"'],
    ['a singular with a subresource', '{ resources: [pod/exec] }', '"pod/exec"', '"pods/exec"'],
  ])('warns for %s, suggesting the plural', (_title, match, entry, plural) => {
    const [warning, ...more] = warningsOf(match);
    expect(more).toEqual([]);
    expect(warning).toMatch(/^rules\[0\]\.match\.resources\[0\]: /);
    expect(warning).toContain(`${entry} is not a resource any cluster serves as built-in`);
    expect(warning).toContain(`did you mean ${plural}?`);
    expect(warning).toMatch(/\(line 4\)$/);
  });

  it('judges every entry against built-in apiGroups, naming where a resource lives', () => {
    expect(warningsOf('{ apiGroups: [apps], resources: [deployments, jobs, deployment] }')).toEqual([
      'rules[0].match.resources[1]: "jobs" is not a resource of "apps"; it is served in "batch", so this ' +
        'entry matches nothing (line 4)',
      'rules[0].match.resources[2]: "deployment" is not a resource of "apps", so this entry matches ' +
        'nothing; did you mean "deployments"? (line 4)',
    ]);
    expect(warningsOf('{ apiGroups: [""], resources: [widgets] }')).toEqual([
      'rules[0].match.resources[0]: "widgets" is not a resource of the core group "", so this entry ' +
        'matches nothing (line 4)',
    ]);
  });

  it('leaves alone what may be a custom resource, globs and the served names', () => {
    expect(warningsOf('{ resources: [widgets, widget] }')).toEqual([]);
    expect(warningsOf('{ apiGroups: [example.com], resources: [widget] }')).toEqual([]);
    expect(warningsOf('{ apiGroups: ["*.k8s.io"], resources: [widgets] }')).toEqual([]);
    expect(warningsOf('{ resources: ["pods*", "*/status", "*", "pods/*", endpoints, events] }')).toEqual([]);
    expect(warningsOf('{ apiGroups: ["", apps], resources: [pods, deployments/scale] }')).toEqual([]);
  });

  it('finds nothing to say about the demo policy', async () => {
    const demo = fileURLToPath(new URL('../../examples/demo-policy.yaml', import.meta.url));
    expect((await loadPolicyFile(demo)).warnings).toEqual([]);
  });
});
