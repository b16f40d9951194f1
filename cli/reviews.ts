import type { Redis } from 'ioredis';
import { isReviewId } from '../src/approvals/keys.ts';
import type { Approver, DecideResult, Review, ReviewState } from '../src/approvals/review.types.ts';
import { ReviewStore } from '../src/approvals/review-store.ts';
import { ApprovalsUnavailableError } from '../src/approvals/unavailable-error.ts';
import type { ApprovalsSettings } from '../src/config/approvals.ts';
import { loadConfigFile } from '../src/config/load.ts';
import { durationMs } from '../src/config/schema.ts';
import { createRequestConnection, redactRedisUrl } from '../src/queues/connections.ts';
import { parseCommandArgs, UsageError } from './args.ts';
import { formatList, formatReview, stateLine } from './reviews-format.ts';
import { shellQuote } from './shell-quote.ts';

/**
 * `hoop-gateway reviews …`: the terminal approver. It needs no chat set up, only the gateway's
 * config file (for Redis and the key prefix) and an approver identity: `--as ID`, else the
 * config's `approvals.terminalApprover`. The approver and self-approval rules of the review's
 * policy rule apply exactly as they do in chat, since the same store method decides.
 *
 * Whoever can run this with the config can reach Redis, so these checks keep honest people from
 * mistakes; they are not a security boundary against someone holding the Redis password.
 *
 * Exit codes: 0 done; 1 refused or not found (not an approver, already decided, expired …);
 * 2 usage or config error; 3 Redis unreachable.
 */

const USAGE = `usage:
  hoop-gateway reviews list [--state pending|approved|rejected|expired|cancelled] [--limit N]
  hoop-gateway reviews show ID [--output text|json]
  hoop-gateway reviews approve ID [--for 15m] [--reason TEXT] [--as ID]
  hoop-gateway reviews reject ID --reason TEXT [--as ID]

Every command takes --config FILE (default ./hoop.yaml). approve and reject act as --as ID (with
--groups a,b) or as approvals.terminalApprover from the config.
`;

const STATES: readonly ReviewState[] = ['pending', 'approved', 'rejected', 'expired', 'cancelled'];

const OPTIONS = {
  config: { type: 'string', short: 'c', default: 'hoop.yaml' },
  state: { type: 'string' },
  limit: { type: 'string' },
  output: { type: 'string', short: 'o', default: 'text' },
  for: { type: 'string' },
  reason: { type: 'string' },
  as: { type: 'string' },
  groups: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseCommandArgs<typeof OPTIONS>>['values'];
type Out = { out: (text: string) => void; err: (text: string) => void };

const stdio: Out = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

export async function run(args: string[], io: Out = stdio): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === 'help' || sub === '--help' || sub === '-h') {
    io.out(USAGE);
    return sub === undefined ? 2 : 0;
  }
  if (!['list', 'show', 'approve', 'reject'].includes(sub)) {
    throw new UsageError(`unknown reviews subcommand "${sub}"\n\n${USAGE}`);
  }
  const { values, positionals } = parseCommandArgs(rest, OPTIONS);
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  if (sub === 'list' && positionals.length > 0) throw new UsageError(`reviews list takes no ID\n\n${USAGE}`);
  if (sub !== 'list' && positionals.length !== 1)
    throw new UsageError(`reviews ${sub} takes one ID\n\n${USAGE}`);
  const id = positionals[0] ?? '';
  if (sub !== 'list' && !isReviewId(id)) {
    throw new UsageError(`"${id}" is not a review id (they look like r-7f3k2q)`);
  }
  const config = await loadConfigFile(values.config);
  const settings = config.approvals;
  const redis = createRequestConnection({ url: settings.redisUrl, name: 'hoop-reviews-cli' });
  const store = new ReviewStore({ connection: redis, prefix: settings.storePrefix, readyTimeoutMs: 3000 });
  try {
    if (sub === 'list') return await list(store, values, io);
    if (sub === 'show') return await show(store, id, values, io);
    return await decide(store, redis, sub as 'approve' | 'reject', id, values, settings, io);
  } catch (error) {
    if (!(error instanceof ApprovalsUnavailableError)) throw error;
    io.err(
      `error: cannot reach the approvals store (Redis) at ${redactRedisUrl(settings.redisUrl)}. Is Redis ` +
        'running, and is approvals.redisUrl (or REDIS_URL) in the config right?\n',
    );
    return 3;
  } finally {
    await store.close();
    redis.disconnect();
  }
}

async function list(store: ReviewStore, values: Values, io: Out): Promise<number> {
  const state = values.state;
  if (state !== undefined && !STATES.includes(state as ReviewState)) {
    throw new UsageError(`--state must be one of ${STATES.join(', ')}`);
  }
  const limit = values.limit === undefined ? 20 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit must be a positive whole number');
  const reviews = await store.list({ ...(state ? { state: state as ReviewState } : {}), limit });
  io.out(formatList(reviews));
  return 0;
}

async function show(store: ReviewStore, id: string, values: Values, io: Out): Promise<number> {
  if (values.output !== 'text' && values.output !== 'json')
    throw new UsageError('--output must be text or json');
  const review = await store.get(id);
  if (!review) return notFound(id, io);
  io.out(
    values.output === 'json'
      ? `${JSON.stringify(review, null, 2)}\n`
      : formatReview(review, { nextFlags: decideFlags(values) }),
  );
  return 0;
}

/**
 * The flags given to this command that `reviews approve` / `reject` need too: the config (which
 * Redis and key prefix) unless it is the default, and the approver identity.
 */
function decideFlags(values: Values): string[] {
  const flags: string[] = [];
  if (values.config !== OPTIONS.config.default) flags.push('--config', shellQuote(values.config));
  if (values.as !== undefined) flags.push('--as', shellQuote(values.as));
  if (values.groups !== undefined) flags.push('--groups', shellQuote(values.groups));
  return flags;
}

async function decide(
  store: ReviewStore,
  redis: Redis,
  action: 'approve' | 'reject',
  id: string,
  values: Values,
  settings: ApprovalsSettings,
  io: Out,
): Promise<number> {
  const approver = approverFrom(values, settings);
  if (action === 'reject' && !values.reason?.trim()) {
    throw new UsageError(
      'reviews reject needs --reason TEXT: the agent reads it to understand what to change',
    );
  }
  if (action === 'reject' && values.for) throw new UsageError('--for applies to approve only');
  let windowSeconds: number | undefined;
  if (values.for) {
    if (!/^\d+(s|m|h)$/.test(values.for))
      throw new UsageError('--for must be a duration such as 90s, 15m or 1h');
    windowSeconds = durationMs(values.for) / 1000;
  }
  const result = await store.decide(id, {
    approver,
    action,
    via: 'terminal',
    ...(values.reason ? { reason: values.reason } : {}),
    ...(windowSeconds ? { windowSeconds } : {}),
  });
  if (result.outcome === 'applied' && result.review) await notifyDecided(result.review, settings, redis);
  return report(result, action, id, approver, io);
}

/**
 * Asks the bot to update the review's card. Loaded on demand (BullMQ is the CLI's heaviest
 * import); a failure is reported but does not undo the decision, which is already made.
 */
async function notifyDecided(review: Review, settings: ApprovalsSettings, redis: Redis): Promise<void> {
  const { ReviewProducers } = await import('../src/queues/review-producers.ts');
  const producers = new ReviewProducers({ connection: redis, prefix: settings.queuePrefix });
  try {
    await producers.enqueueNotify(review, 'decided');
  } catch {
    process.stderr.write(
      'warning: the decision is recorded, but the chat card could not be queued for update\n',
    );
  } finally {
    await producers.close();
  }
}

function approverFrom(values: Values, settings: ApprovalsSettings): Approver {
  const terminal = settings.terminalApprover;
  const id = values.as ?? terminal?.id;
  if (!id) {
    throw new UsageError(
      'who is approving? pass --as ID, or set approvals.terminalApprover: { id, groups } in the config',
    );
  }
  const groups = values.groups
    ? values.groups
        .split(',')
        .map((g) => g.trim())
        .filter(Boolean)
    : terminal && terminal.id === id
      ? terminal.groups
      : [];
  return { id, groups };
}

function report(result: DecideResult, action: string, id: string, approver: Approver, io: Out): number {
  const review = result.review;
  switch (result.outcome) {
    case 'applied':
      io.out(
        action === 'approve'
          ? `approved ${id} as ${approver.id}: ${summary(review)}\nThe held request proceeds now (or on the client's next retry).\n`
          : `rejected ${id} as ${approver.id}: ${summary(review)}\nThe client gets 403 Forbidden with your reason.\n`,
      );
      return 0;
    case 'counted':
      io.out(
        `counted ${approver.id}'s approval of ${id}; ${review ? stateLine(review) : 'more approvals needed'}\n`,
      );
      return 0;
    case 'already-decided':
      io.err(
        `${id} was already decided, nothing changed: ${review ? stateLine(review) : `by ${result.decidedBy}`}\n`,
      );
      return 1;
    case 'expired':
      io.err(
        `${id} has expired; nothing changed. The client may send the request again to open a new review.\n`,
      );
      return 1;
    case 'not-allowed':
      io.err(`not allowed: ${result.reason}\n`);
      return 1;
    case 'not-found':
      return notFound(id, io);
  }
}

function summary(review: Review | undefined): string {
  if (!review) return '';
  const { info } = review;
  return `${info.verb} ${info.resource}${info.name ? ` ${info.name}` : ''}${info.namespace ? ` in ${info.namespace}` : ''} by ${review.caller.subject} on ${review.cluster}`;
}

function notFound(id: string, io: Out): number {
  io.err(
    `no review ${id} (it may have passed its retention, or the config points at another Redis or keyPrefix)\n`,
  );
  return 1;
}
