import { isReviewId } from '../src/approvals/keys.ts';
import type { DecideOutcome, Review, ReviewState } from '../src/approvals/review.types.ts';
import { durationMs } from '../src/config/schema.ts';
import { parseCommandArgs, UsageError } from './args.ts';
import { resolveGateway, signedIn } from './people/access-token.ts';
import { ApiError, callApi } from './people/gateway-client.ts';
import { configDir } from './people/session-file.ts';
import { formatList, formatReview, type ShownReview, stateLine } from './reviews-format.ts';
import { shellQuote } from './shell-quote.ts';

/**
 * `hoop-gateway reviews …`: the terminal approver. It decides as the person signed in with
 * `hoop-gateway login`, through the gateway's approvals API, so every decision names a person the
 * identity provider authenticated and is signed by the gateway; it never touches Redis.
 *
 * `--break-glass KEYFILE` is the operators' exception (reviews-break-glass.ts): direct Redis
 * access with the break-glass private key, for when the gateway's API or the identity provider is
 * down. It is loud by design: logged, recorded in the review's history, and flagged on the gateway.
 *
 * Exit codes: 0 done; 1 refused or not found (not an approver, already decided, expired …);
 * 2 usage or config error; 3 gateway (or, break-glass, Redis) unreachable.
 */

const USAGE = `usage:
  hoop-gateway reviews list [--state pending|approved|rejected|expired|cancelled] [--limit N]
  hoop-gateway reviews show ID [--output text|json]
  hoop-gateway reviews approve ID [--for 15m] [--reason TEXT]
  hoop-gateway reviews reject ID --reason TEXT

Sign in first: hoop-gateway login --gateway URL. Every command takes --gateway URL (default: the
gateway you signed in to last, or $HOOP_GATEWAY).

Break-glass (operators only; writes to Redis directly, signed with the break-glass key, logged):
  hoop-gateway reviews approve ID --break-glass KEYFILE --as NAME --reason TEXT --config hoop.yaml
`;

export const STATES: readonly ReviewState[] = ['pending', 'approved', 'rejected', 'expired', 'cancelled'];

export const OPTIONS = {
  gateway: { type: 'string', short: 'g' },
  config: { type: 'string', short: 'c', default: 'hoop.yaml' },
  state: { type: 'string' },
  limit: { type: 'string' },
  output: { type: 'string', short: 'o', default: 'text' },
  for: { type: 'string' },
  reason: { type: 'string' },
  'break-glass': { type: 'string' },
  as: { type: 'string' },
  groups: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export type Values = ReturnType<typeof parseCommandArgs<typeof OPTIONS>>['values'];
export type Out = { out: (text: string) => void; err: (text: string) => void; configDir?: string };

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
  if (values['break-glass'] !== undefined) {
    const { runBreakGlass } = await import('./reviews-break-glass.ts');
    return runBreakGlass(sub, id, values, io);
  }
  if (values.as !== undefined || values.groups !== undefined) {
    throw new UsageError(
      '--as and --groups are gone: sign in with `hoop-gateway login`, and reviews decides as you',
    );
  }
  const decision = sub === 'approve' || sub === 'reject' ? decisionBody(sub, values) : undefined;
  const gateway = await resolveGateway(values.gateway, io.configDir ?? configDir());
  try {
    const { session, token } = await signedIn(gateway, io.configDir ?? configDir());
    const call = { gateway, token, caFile: session.caFile };
    if (sub === 'list') {
      const query = listQuery(values);
      const list = await callApi<{ items: ShownReview[] }>({ ...call, path: `/hoop/v1/reviews${query}` });
      io.out(formatList(list.items as Review[]));
      return 0;
    }
    if (sub === 'show') {
      if (values.output !== 'text' && values.output !== 'json')
        throw new UsageError('--output must be text or json');
      const review = await callApi<ShownReview>({ ...call, path: `/hoop/v1/reviews/${id}` });
      io.out(
        values.output === 'json'
          ? `${JSON.stringify(review, null, 2)}\n`
          : formatReview(review, {
              nextFlags: values.gateway ? ['--gateway', shellQuote(values.gateway)] : [],
            }),
      );
      return 0;
    }
    const result = await callApi<{ outcome: DecideOutcome; review?: ShownReview }>({
      ...call,
      method: 'POST',
      path: `/hoop/v1/reviews/${id}/${sub}`,
      body: decision,
    });
    io.out(reportDecided(sub as 'approve' | 'reject', id, result.outcome, result.review));
    return 0;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    io.err(`error: ${error.message}\n`);
    return error.code === 0 || error.code >= 500 ? 3 : 1;
  }
}

/** The API body for approve/reject, checked before anything is sent. */
export function decisionBody(
  action: 'approve' | 'reject',
  values: Values,
): { reason?: string; window?: string } {
  if (action === 'reject' && !values.reason?.trim()) {
    throw new UsageError(
      'reviews reject needs --reason TEXT: the agent reads it to understand what to change',
    );
  }
  if (action === 'reject' && values.for) throw new UsageError('--for applies to approve only');
  if (values.for && !/^\d+(s|m|h)$/.test(values.for)) {
    throw new UsageError('--for must be a duration such as 90s, 15m or 1h');
  }
  return {
    ...(values.reason ? { reason: values.reason } : {}),
    ...(values.for ? { window: values.for } : {}),
  };
}

/** Seconds of `--for`, for the break-glass path. */
export function windowSecondsOf(values: Values): number | undefined {
  return values.for ? durationMs(values.for) / 1000 : undefined;
}

function listQuery(values: Values): string {
  const state = values.state;
  if (state !== undefined && !STATES.includes(state as ReviewState)) {
    throw new UsageError(`--state must be one of ${STATES.join(', ')}`);
  }
  const limit = values.limit === undefined ? 20 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit must be a positive whole number');
  const params = new URLSearchParams({ limit: String(limit), ...(state ? { state } : {}) });
  return `?${params.toString()}`;
}

export function reportDecided(
  action: 'approve' | 'reject',
  id: string,
  outcome: DecideOutcome,
  review: Review | undefined,
): string {
  if (outcome === 'counted') {
    return `counted your approval of ${id}; ${review ? stateLine(review) : 'more approvals needed'}\n`;
  }
  return action === 'approve'
    ? `approved ${id}: ${summary(review)}\nThe held request proceeds now (or on the client's next retry).\n`
    : `rejected ${id}: ${summary(review)}\nThe client gets 403 Forbidden with your reason.\n`;
}

function summary(review: Review | undefined): string {
  if (!review) return '';
  const { info } = review;
  return `${info.verb} ${info.resource}${info.name ? ` ${info.name}` : ''}${info.namespace ? ` in ${info.namespace}` : ''} by ${review.caller.subject} on ${review.cluster}`;
}
