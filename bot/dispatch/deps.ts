import type { AuditLogger } from '../../src/approvals/decide-audited.ts';
import type { Review } from '../../src/approvals/review.types.ts';
import type { ReviewStore } from '../../src/approvals/review-store.ts';
import type { ChatPlatform } from '../model/interaction.ts';
import type { ApproverDirectory } from './approver-directory.ts';
import type { SessionDirectory } from './sessions.ts';
import type { ViewerPolicy } from './viewers.ts';

/**
 * What the dispatch layer needs, and nothing platform-specific: the review store (decisions and
 * reads), the chat-user → approver mapping, and where sessions come from. A Slack receiver and a
 * Teams receiver build the same deps; only their `ApproverDirectory.lookupEmail` differs.
 */
export interface DispatchDeps {
  store: Pick<ReviewStore, 'get' | 'decide' | 'list' | 'appendHistory'>;
  approvers: ApproverDirectory;
  sessions: SessionDirectory;
  /**
   * Who may read with `pending`, `sessions` and `show`, per platform (viewers.ts). A platform
   * without a policy answers every user who can reach the command.
   */
  viewers?: Partial<Record<ChatPlatform, ViewerPolicy>>;
  /** The window `approve <id> for` offers when no length is given, in seconds. */
  windowSeconds: number;
  /** The web console's public URL: cards link to the review there. */
  consoleUrl?: string | undefined;
  /** Where decision audit lines go (src/approvals/decide-audited.ts). */
  logger?: AuditLogger | undefined;
  /** The key id the bot signs decisions with, named in audit lines. */
  signerKeyId?: string;
  /** An approval was counted but more are needed: re-render the card (no state event fires). */
  onCounted?: (review: Review) => Promise<void> | void;
}
