/**
 * The Block Kit action and view ids the Slack receiver listens for. The button's `value` is the
 * review id (and, for a window, `<id>:<seconds>`); nothing else travels in a payload, and the
 * receiver re-reads the review before acting on it.
 */
export const ACTION_IDS = {
  approve: 'hoop_approve',
  approveWindow: 'hoop_approve_window',
  reject: 'hoop_reject',
  /** "Show details" on the impact preview: opens a read-only modal (impact-modal.ts). */
  impactDetails: 'hoop_impact_details',
} as const;

/** The reject modal: its callback id, and the block/action ids of the reason input. */
export const REJECT_VIEW = {
  callbackId: 'hoop_reject_reason',
  block: 'reason',
  action: 'reason_input',
} as const;

/** `<id>:<seconds>` → its parts; `undefined` when the value is not shaped like that. */
export function parseWindowValue(value: string): { reviewId: string; windowSeconds: number } | undefined {
  const match = /^(r-[a-z0-9]{6}):(\d{1,7})$/.exec(value);
  return match ? { reviewId: match[1]!, windowSeconds: Number(match[2]) } : undefined;
}
