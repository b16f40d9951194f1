import { isReviewId } from '../../src/approvals/keys.ts';
import { ApprovalsUnavailableError } from '../../src/approvals/unavailable-error.ts';
import { type Command, commandText, parseWindow } from '../model/command.ts';
import type { ChatActor, ChatPlatform } from '../model/interaction.ts';
import { MAX_REASON_CHARS } from '../model/interaction.ts';
import { code, plain, type Reply, say } from '../model/reply.ts';
import { helpReply, pendingReply, sessionsReply, showReply } from './command-views.ts';
import { decideInteraction, unavailable } from './decisions.ts';
import type { DispatchDeps } from './deps.ts';

/**
 * Answers a chat command (`/hoop …` in Slack, a bot message in Teams): help, pending, sessions,
 * show, approve, reject. Platform-neutral: it takes a parsed {@link Command} and the asking
 * {@link ChatActor}, and returns a {@link Reply} the platform renders. Approve and reject go
 * through the same {@link decideInteraction} as buttons, so the same authorization applies.
 *
 * Every answer is ephemeral unless the command asked to `--share`; a bad id or an unknown
 * subcommand gets a sentence that says what would work.
 */
export async function answerCommand(deps: DispatchDeps, command: Command, actor: ChatActor): Promise<Reply> {
  let reply: Reply;
  try {
    if (READS.has(command.name)) {
      const refused = await deps.viewers?.[actor.platform]?.refusal(actor);
      // A refusal is only ever for the asker, whatever `--share` says.
      if (refused) return say([plain(refused)]);
    }
    reply = await route(deps, command, actor);
  } catch (error) {
    if (!(error instanceof ApprovalsUnavailableError)) throw error;
    reply = unavailable();
  }
  return command.share ? { ...reply, visibility: 'shared' } : reply;
}

/** The subcommands that read reviews and sessions: for approvers and viewers only. */
const READS = new Set(['pending', 'sessions', 'show']);

async function route(deps: DispatchDeps, command: Command, actor: ChatActor): Promise<Reply> {
  const [first, ...rest] = command.args;
  const p = actor.platform;
  switch (command.name) {
    case 'help':
      return helpReply(p);
    case 'pending':
      return pendingReply(await deps.store.list({ state: 'pending', limit: 20 }));
    case 'sessions':
      return sessions(deps, command, p);
    case 'show':
      if (!first) return usage(p, 'show <session-or-review-id>');
      return showReply(deps, first, p);
    case 'approve':
      return approve(deps, first, rest, command, actor);
    case 'reject': {
      if (!first || !isReviewId(first)) return badId(p, first, 'reject <review-id> <reason>');
      const reason = rest.join(' ').trim();
      if (!reason)
        return say([plain('Say why: '), code(commandText(p, `reject ${first} <reason>`)), plain('.')]);
      const interaction = {
        action: 'reject' as const,
        reviewId: first,
        actor,
        reason: reason.slice(0, MAX_REASON_CHARS),
      };
      return (await decideInteraction(deps, interaction)).reply;
    }
    default: {
      const help = helpReply(p);
      return {
        ...help,
        lines: [[plain('Unknown subcommand '), code(command.name), plain('.')], ...help.lines],
      };
    }
  }
}

async function approve(
  deps: DispatchDeps,
  id: string | undefined,
  rest: string[],
  command: Command,
  actor: ChatActor,
): Promise<Reply> {
  if (!id || !isReviewId(id)) return badId(actor.platform, id, 'approve <review-id> [for 15m]');
  // `approve r-x for 15m`, `approve r-x 15m`, `approve r-x --for 15m`, or `approve r-x for` (the default).
  const words = rest[0]?.toLowerCase() === 'for' ? rest.slice(1) : rest;
  const flag = command.flags['for'];
  const wanted = typeof flag === 'string' ? flag : words.join(' ');
  const asked = rest.length > 0 || flag !== undefined;
  let windowSeconds: number | undefined;
  if (asked) {
    windowSeconds = wanted ? parseWindow(wanted) : deps.windowSeconds;
    if (windowSeconds === undefined) {
      return say([
        plain('Not a window length: '),
        code(wanted),
        plain('. Try '),
        code(commandText(actor.platform, `approve ${id} for 15m`)),
        plain('.'),
      ]);
    }
  }
  const interaction = {
    action: windowSeconds ? ('approve-window' as const) : ('approve' as const),
    reviewId: id,
    actor,
    ...(windowSeconds ? { windowSeconds } : {}),
  };
  return (await decideInteraction(deps, interaction)).reply;
}

async function sessions(deps: DispatchDeps, command: Command, p: ChatPlatform): Promise<Reply> {
  const { agent, cluster, limit } = command.flags;
  const count = limit === undefined ? 10 : Number(limit);
  if (!Number.isInteger(count) || count < 1 || count > 50) {
    return say([
      plain('--limit takes a number from 1 to 50, e.g. '),
      code(commandText(p, 'sessions --limit 20')),
      plain('.'),
    ]);
  }
  for (const [name, value] of [
    ['agent', agent],
    ['cluster', cluster],
  ] as const) {
    if (value === true)
      return say([
        plain(`--${name} needs a value, e.g. `),
        code(commandText(p, `sessions --${name} x`)),
        plain('.'),
      ]);
  }
  const filter = {
    limit: count,
    ...(typeof agent === 'string' ? { agent } : {}),
    ...(typeof cluster === 'string' ? { cluster } : {}),
  };
  return sessionsReply(await deps.sessions.list(filter), filter, p);
}

function usage(p: ChatPlatform, text: string): Reply {
  return say([plain('Usage: '), code(commandText(p, text))]);
}

function badId(p: ChatPlatform, id: string | undefined, text: string): Reply {
  if (!id) return usage(p, text);
  return say([
    code(id),
    plain(' is not a review id (they look like '),
    code('r-7f3k2q'),
    plain('). Usage: '),
    code(commandText(p, text)),
    plain('; '),
    code(commandText(p, 'pending')),
    plain(' lists open reviews.'),
  ]);
}
