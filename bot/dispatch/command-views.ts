import { isReviewId } from '../../src/approvals/keys.ts';
import type { Review } from '../../src/approvals/review.types.ts';
import { buildCard } from '../model/card.ts';
import { commandText } from '../model/command.ts';
import type { ChatPlatform } from '../model/interaction.ts';
import { bold, code, date, type Line, plain, type Reply, say } from '../model/reply.ts';
import { notFound } from './decisions.ts';
import type { DispatchDeps } from './deps.ts';
import type { SessionFilter, SessionRow } from './sessions.ts';

/**
 * The read-only answers of the chat command (help, pending, sessions, show) as {@link Reply}
 * data. Caller-controlled values (subjects, resource names, commands) always go into their own
 * spans, so each platform's renderer escapes them.
 */

const HELP: Array<[string, string]> = [
  ['pending', 'reviews waiting for a decision, soonest deadline first'],
  ['sessions [--agent X] [--cluster Y] [--limit N]', 'recent agent sessions'],
  ['show <session-or-review-id>', 'one review (or session) in full'],
  ['approve <review-id> [for 15m]', 'approve, optionally for a window (where the rule allows)'],
  ['reject <review-id> <reason>', 'reject; the agent sees your reason'],
  ['help', 'this list'],
];

/** The command list in `platform`'s own syntax (`/hoop …` in Slack, `@hoop …` in Teams). */
export function helpReply(platform: ChatPlatform): Reply {
  const last: Line =
    platform === 'teams'
      ? [plain('In a personal chat with the bot the '), code('@hoop'), plain(' mention may be left out.')]
      : [
          plain('Answers are only visible to you; add '),
          code('--share'),
          plain(' to post them in the channel.'),
        ];
  return say(
    [bold('hoop-gateway'), plain(' holds risky Kubernetes calls from agents until a person decides.')],
    ...HELP.map(([usage, what]): Line => [code(commandText(platform, usage)), plain(`  ${what}`)]),
    last,
  );
}

export function pendingReply(reviews: Review[]): Reply {
  if (reviews.length === 0) return say([plain('Nothing is waiting for approval.')]);
  return say(
    [bold(`${reviews.length} pending review${reviews.length === 1 ? '' : 's'}`)],
    ...reviews.map((review) => reviewLine(review, true)),
  );
}

function reviewLine(review: Review, withDeadline: boolean): Line {
  const info = review.info;
  const target = [info.namespace, info.resource, info.name].filter(Boolean).join('/');
  return [
    code(review.id),
    plain(' '),
    bold(info.verb),
    plain(' '),
    code(target),
    plain(' on '),
    code(review.cluster),
    plain(' by '),
    code(review.caller.subject),
    ...(withDeadline ? [plain(' · expires '), date(review.deadline)] : [plain(` · ${review.state}`)]),
  ];
}

export function sessionsReply(rows: SessionRow[], filter: SessionFilter, platform: ChatPlatform): Reply {
  const scope = [
    filter.agent ? `agent ~ ${filter.agent}` : '',
    filter.cluster ? `cluster ${filter.cluster}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  if (rows.length === 0) {
    return say([plain(`No sessions${scope ? ` for ${scope}` : ''}.`)]);
  }
  return say(
    [bold(`${rows.length} recent session${rows.length === 1 ? '' : 's'}${scope ? ` (${scope})` : ''}`)],
    ...rows.map(
      (row): Line => [
        code(row.id),
        plain(' '),
        code(row.agent),
        plain(' on '),
        code(row.cluster),
        ...(row.command ? [plain(' · '), code(row.command)] : []),
        plain(` · ${row.reviews.length} review${row.reviews.length === 1 ? '' : 's'} · last `),
        date(row.lastAt),
      ],
    ),
    [code(commandText(platform, 'show <id>')), plain(' for one.')],
  );
}

export async function showReply(deps: DispatchDeps, id: string, platform: ChatPlatform): Promise<Reply> {
  if (isReviewId(id)) {
    const review = await deps.store.get(id);
    if (!review) return notFound(id, platform);
    const hint: Line[] =
      review.state === 'pending'
        ? [
            [
              plain('Decide with '),
              code(commandText(platform, `approve ${id}`)),
              plain(' or '),
              code(commandText(platform, `reject ${id} <reason>`)),
            ],
          ]
        : [];
    return {
      visibility: 'ephemeral',
      lines: hint,
      card: buildCard(review, { windowSeconds: deps.windowSeconds, consoleUrl: deps.consoleUrl }),
    };
  }
  const session = /^[A-Za-z0-9_-]{1,100}$/.test(id) ? await deps.sessions.get(id) : undefined;
  if (!session) {
    return say([
      plain('No review or session '),
      code(id),
      plain('. Review ids look like '),
      code('r-7f3k2q'),
      plain('; '),
      code(commandText(platform, 'sessions')),
      plain(' lists session ids.'),
    ]);
  }
  return say(
    [
      bold('Session'),
      plain(' '),
      code(session.id),
      plain(' of '),
      code(session.agent),
      plain(' on '),
      code(session.cluster),
    ],
    ...(session.command ? [[plain('Command: '), code(session.command)]] : []),
    [plain('From '), date(session.startedAt), plain(' to '), date(session.lastAt)],
    ...session.reviews.map(
      (r): Line => [code(r.id), plain(' '), bold(r.verb), plain(' '), code(r.target), plain(` · ${r.state}`)],
    ),
  );
}
