import type { ImpactPreview } from '../src/approvals/impact.types.ts';
import { impactDetails, impactHeadline } from '../src/approvals/impact-format.ts';
import { describeApprovers, describeReview, formatSeconds } from '../src/approvals/messages.ts';
import type { HistoryEvent, Review } from '../src/approvals/review.types.ts';

/**
 * How `hoop-gateway reviews` prints reviews for a person at a terminal: a table for `list`, a
 * block of labelled lines for `show`. Every line is plain text (no colour), so it reads the same
 * in a terminal, a CI log or an AI agent's tool output.
 */

/** `2m`, `3h5m`: how long ago `at` was, coarse enough for a table. */
function ago(at: number, now: number): string {
  const seconds = Math.max(0, (now - at) / 1000);
  if (seconds < 60) return `${Math.round(seconds)}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

/** What happens next for a review in its current state, in a few words. */
export function stateLine(review: Review, now = Date.now()): string {
  switch (review.state) {
    case 'pending': {
      const approvals = review.decisions.filter((d) => d.action === 'approve').length;
      const counted =
        review.rule.minApprovals > 1 ? `, ${approvals}/${review.rule.minApprovals} approvals` : '';
      return `pending (expires in ${formatSeconds((review.deadline - now) / 1000)}${counted})`;
    }
    case 'approved': {
      const grant = review.grant;
      if (grant?.kind === 'window') {
        const left = grant.windowEnd - now;
        return `approved by ${review.decidedBy}, window ${left > 0 ? `open for ${formatSeconds(left / 1000)}` : 'over'}`;
      }
      const used = grant?.consumedAt ? 'used' : 'not used yet';
      return `approved by ${review.decidedBy} (once, ${used})`;
    }
    case 'rejected':
      return `rejected by ${review.decidedBy}`;
    case 'expired':
      return `expired after ${formatSeconds(review.rule.timeoutSeconds)}`;
    case 'cancelled':
      return `cancelled${review.decidedBy ? ` by ${review.decidedBy}` : ''}`;
  }
}

function requestShort(review: Review): string {
  const { info } = review;
  const resource = info.subresource ? `${info.resource}/${info.subresource}` : info.resource;
  const where = info.namespace && info.resource !== 'namespaces' ? ` -n ${info.namespace}` : '';
  return `${info.verb} ${resource}${info.name ? ` ${info.name}` : ''}${where} @${review.cluster}`;
}

export function formatList(reviews: Review[], now = Date.now()): string {
  if (reviews.length === 0) return 'no reviews\n';
  const rows = reviews.map((r) => [
    r.id,
    ago(r.createdAt, now),
    requestShort(r),
    r.caller.subject,
    r.rule.name,
    stateLine(r, now),
  ]);
  const header = ['ID', 'AGE', 'REQUEST', 'REQUESTER', 'RULE', 'STATE'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

export interface FormatReviewOptions {
  now?: number;
  /**
   * Flags the `next:` commands need to reach the same review (`--config FILE`, `--as ID` …), as
   * the user gave them to `show`, already quoted for a shell. Without them a copied command would
   * read ./hoop.yaml, another Redis or key prefix, and answer "no review".
   */
  nextFlags?: readonly string[];
}

/** What `reviews show` may know beyond the record: signature status per decision, and history. */
export type ShownReview = Omit<Review, 'decisions'> & {
  decisions: Array<
    Review['decisions'][number] & { signature?: { verified: boolean; keyId?: string; problem?: string } }
  >;
  history?: HistoryEvent[];
  /** The review's page in the web console, when the gateway has one configured. */
  consoleUrl?: string;
};

export function formatReview(review: ShownReview, options: FormatReviewOptions = {}): string {
  const now = options.now ?? Date.now();
  const flags = options.nextFlags?.length ? ` ${options.nextFlags.join(' ')}` : '';
  const { caller, rule, headers } = review;
  const claims = Object.entries(caller.claims)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`)
    .join(' ');
  const grant =
    rule.grant.kind === 'window'
      ? `once, or a window of up to ${formatSeconds(rule.grant.maxSeconds)}`
      : 'once';
  const lines: Array<[string, string | undefined]> = [
    ['review', `${review.id}: ${stateLine(review, now)}`],
    ['request', `${describeReview(review)}`],
    ['path', review.info.path],
    [
      'command',
      headers.command
        ? `${headers.command}${headers.session ? ` (session ${headers.session})` : ''}`
        : undefined,
    ],
    [
      'requester',
      `${caller.subject} (groups: ${caller.groups.join(', ') || 'none'}; issuer ${caller.issuer})`,
    ],
    ['owner', review.owner],
    ['claims', claims || undefined],
    ['rule', `${rule.name}${rule.message ? ` — ${rule.message.trim()}` : ''}`],
    [
      'approvers',
      `${describeApprovers(review)} (${rule.minApprovals} needed; self-approval ${rule.allowSelfApproval ? 'allowed' : 'not allowed'}; grants ${grant})`,
    ],
    ['body', review.bodySummary],
    ['impact', review.impact ? impactBlock(review.impact) : undefined],
    ['created', new Date(review.createdAt).toISOString()],
    ['deadline', new Date(review.deadline).toISOString()],
  ];
  for (const d of review.decisions) {
    const window = d.windowSeconds ? ` for ${formatSeconds(d.windowSeconds)}` : '';
    const reason = d.reason ? `: ${d.reason}` : '';
    const signed = d.signature
      ? d.signature.verified
        ? ` [signed, key ${d.signature.keyId}]`
        : ` [NOT VERIFIED: ${d.signature.problem}]`
      : '';
    lines.push([
      'decision',
      `${new Date(d.at).toISOString()} ${d.action}${window} by ${d.approver} via ${d.via}${reason}${signed}`,
    ]);
  }
  for (const event of review.history ?? []) {
    lines.push([
      'history',
      `${new Date(event.at).toISOString()} ${event.kind} by ${event.by}${event.detail ? `: ${event.detail}` : ''}`,
    ]);
  }
  if (review.consoleUrl) lines.push(['console', review.consoleUrl]);
  if (review.state === 'pending') {
    lines.push([
      'next',
      `hoop-gateway reviews approve ${review.id}${flags}   |   ` +
        `hoop-gateway reviews reject ${review.id} --reason "…"${flags}`,
    ]);
  }
  return `${lines
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([label, value]) => `${`${label}:`.padEnd(11)}${value}`)
    .join('\n')}\n`;
}

/** The impact preview in full: its headline, then every detail line, indented under it. */
function impactBlock(impact: ImpactPreview): string {
  const indent = ' '.repeat(13);
  return [impactHeadline(impact), ...impactDetails(impact).map((line) => `${indent}${line}`)].join('\n');
}
