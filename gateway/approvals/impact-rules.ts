import type { ImpactPreview } from '../../src/approvals/impact.types.ts';
import type { ReviewSpec } from '../../src/policy/policy.types.ts';

/**
 * A review rule's conditions on the impact preview (docs/policy.md, "Deciding on the preview"),
 * kept apart from the policy engine, which decides before any preview exists, and from the
 * approvals engine, which never reads policy.
 *
 * - `autoApprove.deleteAtMost: { pods: 0 }` approves a delete whose preview is complete and
 *   counts at most N objects of each listed resource (kinds it does not list are not limited).
 *   An incomplete preview — a kind the agent may not list, a cut list, the budget ran out —
 *   never auto-approves: "probably empty" is not "empty".
 * - `escalate: { whenAffectedMoreThan: N, required: K }` asks for K distinct approvals when a
 *   delete's preview counts more than N objects in all, or is not complete (unknown counts as
 *   large: the safe direction for an escalation).
 */

/** Why the preview lets the call through without a person, or undefined. */
export function previewAutoApproval(spec: ReviewSpec, impact: ImpactPreview | undefined): string | undefined {
  const limits = spec.autoApprove?.deleteAtMost;
  if (!limits || impact?.kind !== 'delete' || !impact.complete || !impact.affected) return undefined;
  const seen: string[] = [];
  for (const [resource, most] of Object.entries(limits)) {
    const count = impact.affected.find((a) => a.resource === resource)?.count ?? 0;
    if (count > most) return undefined;
    seen.push(`${count} ${resource} (at most ${most})`);
  }
  return `auto-approved by preview: rule "${spec.name}" autoApprove.deleteAtMost holds: ${seen.join(', ')}`;
}

/** The approvals needed once the preview is known: the rule's, or the escalation's when it applies. */
export function approvalsNeeded(spec: ReviewSpec, impact: ImpactPreview | undefined): number | undefined {
  const escalate = spec.escalate;
  if (!escalate || impact?.kind !== 'delete') return spec.minApprovals;
  const total = (impact.affected ?? []).reduce((sum, a) => sum + a.count, 0);
  if (impact.complete && total <= escalate.whenAffectedMoreThan) return spec.minApprovals;
  return Math.max(spec.minApprovals ?? 1, escalate.required);
}
