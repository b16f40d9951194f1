import type { ImpactPreview } from '../../../src/approvals/impact.types.ts';

/**
 * Keeps a preview within what a review record may carry: at most {@link MAX_PREVIEW_BYTES} of
 * JSON. Lists are cut from the end (names first, then changes, then kinds); counts
 * (`count`, `changeCount`) keep the whole truth, and a problem line says what was cut.
 */
export const MAX_PREVIEW_BYTES = 16 * 1024;
const MAX_CHANGES = 50;
const MAX_KINDS = 40;
const MAX_PATH = 200;
const MAX_PROBLEMS = 5;
const MAX_PROBLEM = 300;

export function boundPreview(preview: ImpactPreview): ImpactPreview {
  const bounded = structuredClone(preview);
  bounded.problems = bounded.problems.slice(0, MAX_PROBLEMS).map((p) => p.slice(0, MAX_PROBLEM));
  if (bounded.changes) {
    bounded.changes = bounded.changes
      .slice(0, MAX_CHANGES)
      .map((c) => (c.path.length > MAX_PATH ? { ...c, path: `${c.path.slice(0, MAX_PATH)}…` } : c));
  }
  if (bounded.affected) bounded.affected = bounded.affected.slice(0, MAX_KINDS);
  let cut = false;
  while (size(bounded) > MAX_PREVIEW_BYTES) {
    cut = true;
    const withNames = bounded.affected?.findLast((a) => a.names.length > 0);
    if (withNames) withNames.names = [];
    else if (bounded.changes && bounded.changes.length > 0)
      bounded.changes.length = Math.floor(bounded.changes.length / 2);
    else if (bounded.affected && bounded.affected.length > 0) bounded.affected.pop();
    else if (bounded.create) bounded.create.fields = {};
    else if (bounded.pod) bounded.pod.images = bounded.pod.images.slice(0, 1);
    else break;
  }
  if (cut) bounded.problems.push(`the preview was cut to ${MAX_PREVIEW_BYTES / 1024} KiB`);
  return bounded;
}

function size(preview: ImpactPreview): number {
  return Buffer.byteLength(JSON.stringify(preview));
}
