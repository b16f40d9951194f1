import type { Approver } from '../../src/approvals/review.types.ts';
import type { ChatActor, ChatPlatform } from '../model/interaction.ts';

/**
 * Which approver identity a chat user is. The policy names approvers by id (a person's e-mail,
 * a login) and by group; chat platforms know users by their own ids. Configuration bridges them:
 *
 * 1. `users` maps a chat user id straight to an approver id (exact, no lookup);
 * 2. otherwise, with `byEmail`, the platform's profile e-mail (Slack `users.info`) is the id;
 * 3. `groups` then gives that approver id its groups (keys compared case-insensitively).
 *
 * A user neither listed nor resolvable by e-mail is refused with a sentence that says what to
 * configure. E-mail lookups are cached (10 minutes; a failed lookup 1 minute), because a burst of
 * clicks must not become a burst of profile calls against the platform's rate limits.
 */
export type ApproverResolution = { approver: Approver } | { refused: string };

export interface ApproverDirectory {
  resolve(actor: ChatActor): Promise<ApproverResolution>;
}

export interface ApproverDirectoryOptions {
  users: Record<string, string>;
  groups: Record<string, string[]>;
  byEmail: boolean;
  /**
   * The platform's profile identity for a user id (Slack's profile e-mail, a Teams member's
   * UPN); `undefined` when it has none; `{ refused }` when the profile exists but must not be
   * trusted as an approver (a deleted account, a guest, someone from another organisation).
   */
  lookupEmail?: (userId: string) => Promise<ProfileLookup>;
  /** Where the configuration lives, for refusals ("slack.approvers"). */
  configPath: string;
  /** The lookup switch's name in that section, for refusals. Default `byEmail`. */
  lookupFlag?: string;
  /** What makes the lookup work, for refusals. Default Slack's profile e-mail sentence. */
  lookupHint?: string;
  now?: () => number;
}

/** What a profile lookup found: the identity, nothing, or a reason the profile is not trusted. */
export type ProfileLookup = string | undefined | { refused: string };

const HIT_MS = 10 * 60_000;
const MISS_MS = 60_000;

export function createApproverDirectory(options: ApproverDirectoryOptions): ApproverDirectory {
  const now = options.now ?? Date.now;
  const groups = new Map<string, string[]>();
  for (const [id, list] of Object.entries(options.groups)) groups.set(id.toLowerCase(), list);
  const emails = new Map<string, { email: ProfileLookup; until: number }>();

  const emailOf = async (userId: string): Promise<ProfileLookup> => {
    const cached = emails.get(userId);
    if (cached && cached.until > now()) return cached.email;
    let email: ProfileLookup;
    try {
      email = await options.lookupEmail?.(userId);
    } catch {
      email = undefined;
    }
    emails.set(userId, { email, until: now() + (typeof email === 'string' ? HIT_MS : MISS_MS) });
    return email;
  };

  return {
    async resolve(actor) {
      let id = options.users[actor.userId];
      if (!id && options.byEmail && options.lookupEmail) {
        const found = await emailOf(actor.userId);
        if (typeof found === 'object') return { refused: found.refused };
        id = found;
      }
      if (!id) {
        const hint =
          options.lookupHint ?? 'give the account a profile e-mail the bot may read (users:read.email)';
        const how = options.byEmail
          ? `add it to ${options.configPath}.users, or ${hint}`
          : `add it to ${options.configPath}.users (or turn on ${options.configPath}.${options.lookupFlag ?? 'byEmail'})`;
        return {
          refused: `Your ${actor.platform} account ${actor.userId} is not mapped to an approver identity; ${how}.`,
        };
      }
      return { approver: { id, groups: groups.get(id.toLowerCase()) ?? [] } };
    },
  };
}

/**
 * One directory per platform behind one {@link ApproverDirectory}: a Slack user is mapped by the
 * `slack.approvers` section, a Teams user by `teams.approvers`. A platform without a section
 * refuses everyone on it (it cannot be reached anyway: its receiver is not running).
 */
export function perPlatform(
  directories: Partial<Record<ChatPlatform, ApproverDirectory>>,
): ApproverDirectory {
  return {
    async resolve(actor) {
      const directory = directories[actor.platform];
      if (!directory) return { refused: `Approvals from ${actor.platform} are not configured.` };
      return directory.resolve(actor);
    },
  };
}
