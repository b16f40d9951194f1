import type { ChatActor } from '../model/interaction.ts';
import type { ApproverDirectory } from './approver-directory.ts';

/**
 * Who may read reviews and sessions through chat commands (`pending`, `sessions`, `show`): they
 * show agents' commands, targets and reasons, so not every member of the workspace may see them.
 *
 * A viewer is listed in `viewers.users` (a chat user id or an approver id), or is mapped to an
 * approver identity (see approver-directory.ts) with a group in `viewers.groups`. Without a
 * `viewers` section, the viewers are the configured approvers: the users of `approvers.users`
 * and the approver ids that have groups in `approvers.groups`. Guests, deactivated accounts and
 * people from other organisations are refused whatever the lists say (`member`).
 */
export interface ViewerPolicy {
  /** Why `actor` may not read, or `undefined` when they may. */
  refusal(actor: ChatActor): Promise<string | undefined>;
}

export interface ViewerPolicyOptions {
  viewers: { users: string[]; groups: string[] } | undefined;
  approvers: { users: Record<string, string>; groups: Record<string, string[]> };
  directory: ApproverDirectory;
  /** Why the platform's profile is not trusted (guest, deactivated, other organisation); cached. */
  member?: (userId: string) => Promise<string | undefined>;
  /** Where the lists live, for refusals ("slack.viewers"). */
  configPath: string;
  now?: () => number;
}

const CACHE_MS = 5 * 60_000;

export function createViewerPolicy(options: ViewerPolicyOptions): ViewerPolicy {
  const now = options.now ?? Date.now;
  const lower = (list: Iterable<string>) => new Set([...list].map((v) => v.toLowerCase()));
  const users = options.viewers
    ? lower(options.viewers.users)
    : lower([
        ...Object.keys(options.approvers.users),
        ...Object.values(options.approvers.users),
        ...Object.entries(options.approvers.groups)
          .filter(([, groups]) => groups.length > 0)
          .map(([id]) => id),
      ]);
  const groups = options.viewers ? lower(options.viewers.groups) : new Set<string>();
  const members = new Map<string, { refusal: string | undefined; until: number }>();

  const memberRefusal = async (userId: string): Promise<string | undefined> => {
    if (!options.member) return undefined;
    const cached = members.get(userId);
    if (cached && cached.until > now()) return cached.refusal;
    let refusal: string | undefined;
    try {
      refusal = await options.member(userId);
    } catch {
      return `Your account ${userId} could not be checked right now; try again shortly.`;
    }
    members.set(userId, { refusal, until: now() + CACHE_MS });
    return refusal;
  };

  return {
    async refusal(actor) {
      const notMember = await memberRefusal(actor.userId);
      if (notMember) return `${notMember} Reviews and sessions are shown to approvers and viewers only.`;
      const refused = `Reviews and sessions are shown to approvers and configured viewers only (${options.configPath}); your ${actor.platform} account ${actor.userId} is not one. Ask an admin to add it.`;
      if (users.has(actor.userId.toLowerCase())) return undefined;
      const who = await options.directory.resolve(actor);
      if ('refused' in who) return refused;
      if (users.has(who.approver.id.toLowerCase())) return undefined;
      if (who.approver.groups.some((g) => groups.has(g.toLowerCase()))) return undefined;
      return refused;
    },
  };
}
