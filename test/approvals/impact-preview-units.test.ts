import { describe, expect, it } from 'vitest';
import { boundPreview, MAX_PREVIEW_BYTES } from '../../gateway/approvals/impact/bounds.ts';
import { diffObjects } from '../../gateway/approvals/impact/object-diff.ts';
import { approvalsNeeded, previewAutoApproval } from '../../gateway/approvals/impact-rules.ts';
import type { ImpactPreview } from '../../src/approvals/impact.types.ts';
import type { JsonValue } from '../../src/masking/mask-core.ts';
import type { ReviewSpec } from '../../src/policy/policy.types.ts';

/** The pure parts of issue 18's preview: the diff, the size bound, the policy conditions. */

describe('diffObjects', () => {
  it('reports leaves by JSON path, leaves noise out, and shows masked values only', () => {
    const live = {
      metadata: { resourceVersion: '1', labels: { 'app.kubernetes.io/name': 'a' } },
      data: { k: 'c2VjcmV0' },
    };
    const next = {
      metadata: { resourceVersion: '2', labels: { 'app.kubernetes.io/name': 'b', tier: 'x' } },
      data: { k: 'bmV3' },
    };
    const masked = (doc: typeof live): JsonValue => ({ ...doc, data: { k: '**hoop-masked**' } });
    const changes = diffObjects({ live, next, liveMasked: masked(live), nextMasked: masked(next) });
    expect(changes).toEqual([
      { path: 'metadata.labels["app.kubernetes.io/name"]', op: 'changed', from: '"a"', to: '"b"' },
      { path: 'metadata.labels.tier', op: 'added', to: '"x"' },
      { path: 'data.k', op: 'changed', from: '"**hoop-masked**"', to: '"**hoop-masked**"' },
    ]);
  });
});

describe('boundPreview', () => {
  it('cuts lists to 16 KiB, keeps the counts, and says so', () => {
    const names = Array.from({ length: 5 }, (_, i) => `${'n'.repeat(200)}-${i}`);
    const preview: ImpactPreview = {
      kind: 'delete',
      complete: true,
      problems: [],
      affected: Array.from({ length: 40 }, (_, i) => ({
        kind: `K${i}`,
        resource: `r${i}`,
        count: 1000,
        names,
      })),
      tookMs: 1,
    };
    const bounded = boundPreview(preview);
    expect(Buffer.byteLength(JSON.stringify(bounded))).toBeLessThanOrEqual(MAX_PREVIEW_BYTES);
    expect(bounded.affected!.every((a) => a.count === 1000)).toBe(true);
    expect(bounded.problems.at(-1)).toBe('the preview was cut to 16 KiB');
  });
});

describe('preview conditions', () => {
  const spec: ReviewSpec = {
    name: 'ns',
    message: '',
    autoApprove: { groups: [], deleteAtMost: { pods: 0 } },
    escalate: { whenAffectedMoreThan: 3, required: 2 },
  };
  const preview = (complete: boolean, pods: number, configmaps = 1): ImpactPreview => ({
    kind: 'delete',
    complete,
    problems: [],
    affected: [
      { kind: 'Pod', resource: 'pods', count: pods, names: [] },
      { kind: 'ConfigMap', resource: 'configmaps', count: configmaps, names: [] },
    ],
    tookMs: 1,
  });

  it('deleteAtMost holds only on a complete preview within every listed bound', () => {
    expect(previewAutoApproval(spec, preview(true, 0))).toMatch(
      /rule "ns" autoApprove\.deleteAtMost holds: 0 pods/,
    );
    expect(previewAutoApproval(spec, preview(true, 1))).toBeUndefined();
    expect(previewAutoApproval(spec, preview(false, 0))).toBeUndefined();
    expect(previewAutoApproval(spec, undefined)).toBeUndefined();
  });

  it('escalate raises the approvals needed above the threshold or when incomplete', () => {
    expect(approvalsNeeded(spec, preview(true, 1, 2))).toBeUndefined();
    expect(approvalsNeeded(spec, preview(true, 2, 2))).toBe(2);
    expect(approvalsNeeded(spec, preview(false, 0, 0))).toBe(2);
  });
});
