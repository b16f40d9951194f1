import type { FieldChange, ImpactPreview } from './impact.types.ts';

/**
 * The impact preview as plain text, the one wording every surface shares: a headline short
 * enough for a chat card ("would delete 3 Pods, 1 Deployment, 1 ReplicaSet") and the full
 * detail lines (`reviews show`, the card's "Show details"). The preview is already masked.
 */

const HEADLINE_CHANGES = 3;
const HEADLINE_KINDS = 4;

export function impactHeadline(impact: ImpactPreview): string {
  const incomplete = impact.complete ? '' : ' (incomplete)';
  switch (impact.kind) {
    case 'delete': {
      const affected = impact.affected ?? [];
      if (impact.affected === undefined) return `preview unavailable: ${impact.problems[0] ?? 'unknown'}`;
      if (affected.length === 0) return `would delete nothing it can list${incomplete}`;
      const total = affected.reduce((sum, a) => sum + a.count, 0);
      const kinds = affected
        .slice(0, HEADLINE_KINDS)
        .map((a) => `${a.atLeast ? '≥' : ''}${a.count} ${a.kind}`)
        .join(', ');
      const more = affected.length > HEADLINE_KINDS ? ', …' : '';
      return `would delete ${total} object${total === 1 ? '' : 's'}: ${kinds}${more}${incomplete}`;
    }
    case 'change': {
      if (impact.changes === undefined) return `preview unavailable: ${impact.problems[0] ?? 'unknown'}`;
      const count = impact.changeCount ?? impact.changes.length;
      if (count === 0) return `would change no field${incomplete}`;
      const top = impact.changes.slice(0, HEADLINE_CHANGES).map(changeShort).join('; ');
      const more = count > HEADLINE_CHANGES ? `; +${count - HEADLINE_CHANGES} more` : '';
      return `would change ${count} field${count === 1 ? '' : 's'}: ${top}${more}${incomplete}`;
    }
    case 'create': {
      const created = impact.create;
      if (!created) return `preview unavailable: ${impact.problems[0] ?? 'unknown'}`;
      return `would create ${created.kind} ${created.namespace ? `${created.namespace}/` : ''}${created.name}`;
    }
    case 'stream': {
      const pod = impact.pod;
      if (!pod) return `preview unavailable: ${impact.problems[0] ?? 'unknown'}`;
      const risks = [
        pod.privileged.length > 0 ? `privileged: ${pod.privileged.join(', ')}` : '',
        pod.hostNamespaces.length > 0 ? `host ${pod.hostNamespaces.join('/')}` : '',
      ].filter(Boolean);
      return `pod runs ${pod.images.join(', ') || 'no image'}${risks.length > 0 ? ` (${risks.join('; ')})` : ''}`;
    }
  }
}

/** Every line of the preview, for a reader who asked for the details. */
export function impactDetails(impact: ImpactPreview): string[] {
  const lines: string[] = [];
  for (const a of impact.affected ?? []) {
    const names = a.names.length > 0 ? `: ${a.names.join(', ')}${a.count > a.names.length ? ', …' : ''}` : '';
    lines.push(`${a.atLeast ? 'at least ' : ''}${a.count} ${a.kind} (${a.resource})${names}`);
  }
  if (impact.changes) {
    for (const change of impact.changes) lines.push(changeLine(change));
    const count = impact.changeCount ?? impact.changes.length;
    if (count > impact.changes.length) lines.push(`… and ${count - impact.changes.length} more changes`);
  }
  if (impact.create) {
    const c = impact.create;
    lines.push(`${c.kind} ${c.namespace ? `${c.namespace}/` : ''}${c.name}`);
    for (const [field, value] of Object.entries(c.fields)) lines.push(`${field}: ${value}`);
  }
  if (impact.pod) {
    const p = impact.pod;
    lines.push(`images: ${p.images.join(', ') || '(none)'}`);
    lines.push(`privileged containers: ${p.privileged.join(', ') || 'none'}`);
    lines.push(`host namespaces: ${p.hostNamespaces.join(', ') || 'none'}`);
    if (p.serviceAccount) lines.push(`service account: ${p.serviceAccount}`);
    if (p.node) lines.push(`node: ${p.node}`);
    if (p.owner) lines.push(`owner: ${p.owner}`);
  }
  for (const problem of impact.problems) lines.push(`note: ${problem}`);
  lines.push(
    `${impact.complete ? 'complete' : 'incomplete'} preview, computed in ${impact.tookMs} ms as the agent`,
  );
  return lines;
}

function changeShort(change: FieldChange): string {
  if (change.op === 'added') return `+${change.path}`;
  if (change.op === 'removed') return `-${change.path}`;
  return `${change.path} ${change.from} → ${change.to}`;
}

function changeLine(change: FieldChange): string {
  if (change.op === 'added') return `+ ${change.path}: ${change.to}`;
  if (change.op === 'removed') return `- ${change.path}: ${change.from}`;
  return `~ ${change.path}: ${change.from} → ${change.to}`;
}
