import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { durationWithDaysMs } from '../src/config/recording.ts';
import { castFileName, collectStreams, renderCast } from '../src/recording/asciicast.ts';
import { verifyChain } from '../src/recording/hash-chain.ts';
import { parseCommandArgs, UsageError } from './args.ts';
import { auditEvents } from './sessions-audit-export.ts';
import { replayStreams } from './sessions-replay.ts';
import { type LoadedSession, openSessionSource, type SessionSource } from './sessions-source.ts';
import { renderList, renderShow } from './sessions-view.ts';

/**
 * `hoop-gateway sessions …`: the auditor's tools over recorded sessions, reading what the gateway
 * wrote (its config file names the Redis index and the archive directory). `verify` exits 1 and
 * says where when a recording does not check out; usage errors are UsageError (exit 2).
 */

const USAGE = `usage:
  hoop-gateway sessions list   [--agent A] [--cluster C] [--since 1h|2025-06-01] [--outcome O] [--limit N] [--output json] --config hoop.yaml
  hoop-gateway sessions show   ID [--output json] --config hoop.yaml
  hoop-gateway sessions replay ID [--speed N] [--stream RID] [--idle-limit SECONDS] --config hoop.yaml
  hoop-gateway sessions verify ID --config hoop.yaml
  hoop-gateway sessions export ID --format audit --config hoop.yaml

Outcomes: clean, denied, reviewed, error. verify checks the hash chain of every event against the
final hash in the index, and every .cast file against the events it was made from.
`;

const COMMON = { config: { type: 'string', short: 'c' }, output: { type: 'string', short: 'o' } } as const;

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === 'help' || sub === '--help' || sub === '-h') {
    process.stdout.write(USAGE);
    return sub === undefined ? 2 : 0;
  }
  const handler = { list, show, replay, verify, export: exportSession }[sub];
  if (!handler) throw new UsageError(`unknown sessions subcommand "${sub}"\n\n${USAGE}`);
  return handler(rest);
}

async function withSource<T>(
  config: string | undefined,
  use: (source: SessionSource) => Promise<T>,
): Promise<T> {
  if (!config)
    throw new UsageError(`sessions needs --config hoop.yaml (the gateway's config file)\n\n${USAGE}`);
  const source = await openSessionSource(config);
  try {
    return await use(source);
  } finally {
    source.close();
  }
}

function sessionId(positionals: string[], what: string): string {
  if (positionals.length !== 1) throw new UsageError(`sessions ${what} takes one session ID\n\n${USAGE}`);
  return positionals[0]!;
}

/** `--since`: a duration back from now (`90m`, `2h`, `7d`) or a date/time. */
function sinceMs(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (/^\d+(ms|s|m|h|d)$/.test(text)) return Date.now() - durationWithDaysMs(text);
  const at = Date.parse(text);
  if (Number.isNaN(at)) throw new UsageError(`--since takes a duration such as 2h or a date, not "${text}"`);
  return at;
}

async function list(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(
    args,
    {
      ...COMMON,
      agent: { type: 'string' },
      cluster: { type: 'string' },
      since: { type: 'string' },
      outcome: { type: 'string' },
      limit: { type: 'string' },
    },
    false,
  );
  const limit = Number(values.limit ?? 50);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit takes a positive whole number');
  const since = sinceMs(values.since);
  return withSource(values.config, async (source) => {
    if (!source.index) throw new UsageError('sessions list needs the Redis index, which is not reachable');
    const sessions = await source.index.list({
      limit,
      ...(values.agent ? { agent: values.agent } : {}),
      ...(values.cluster ? { cluster: values.cluster } : {}),
      ...(values.outcome ? { outcome: values.outcome } : {}),
      ...(since !== undefined ? { since } : {}),
    });
    process.stdout.write(
      values.output === 'json' ? `${JSON.stringify(sessions, null, 2)}\n` : renderList(sessions),
    );
    return 0;
  });
}

async function show(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, COMMON);
  const id = sessionId(positionals, 'show');
  return withSource(values.config, async (source) => {
    const loaded = await source.load(id);
    if (values.output === 'json')
      process.stdout.write(`${JSON.stringify({ meta: loaded.meta, events: loaded.events }, null, 2)}\n`);
    else process.stdout.write(renderShow(id, loaded.meta, loaded.events, source.consoleUrl));
    return 0;
  });
}

async function replay(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    ...COMMON,
    speed: { type: 'string' },
    stream: { type: 'string' },
    'idle-limit': { type: 'string' },
  });
  const id = sessionId(positionals, 'replay');
  const speed = Number(values.speed ?? 1);
  if (!(speed > 0)) throw new UsageError('--speed takes a positive number (2 = twice as fast)');
  const idle = values['idle-limit'] === undefined ? undefined : Number(values['idle-limit']) * 1000;
  return withSource(values.config, async (source) => {
    const loaded = await source.load(id);
    const played = await replayStreams(loaded.events, {
      speed,
      stdout: process.stdout,
      stderr: process.stderr,
      ...(values.stream ? { stream: values.stream } : {}),
      ...(idle !== undefined && idle >= 0 ? { idleLimitMs: idle } : {}),
    });
    if (played === 0) process.stderr.write(`session ${id} has no recorded exec or attach stream\n`);
    return 0;
  });
}

async function verify(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, COMMON);
  const id = sessionId(positionals, 'verify');
  return withSource(values.config, async (source) => {
    const loaded = await source.load(id);
    const expected = loaded.meta
      ? { count: loaded.meta.count ?? loaded.meta.seq, finalHash: loaded.meta.finalHash ?? loaded.meta.hash }
      : undefined;
    const result = verifyChain(id, loaded.lines, expected);
    if (!result.ok) {
      const seq = result.seq === undefined ? '' : ` (event ${result.seq})`;
      process.stdout.write(`FAILED: ${where(loaded)} line ${result.line}${seq}: ${result.reason}\n`);
      return 1;
    }
    const castProblems = await checkCasts(source, id, loaded);
    for (const problem of castProblems) process.stdout.write(`FAILED: ${problem}\n`);
    if (castProblems.length > 0) return 1;
    const against = expected ? ' and match the index' : ' (no index entry to compare the final hash with)';
    process.stdout.write(
      `ok: ${result.count} events of ${id} chain correctly${against}; final hash ${result.finalHash}\n`,
    );
    return 0;
  });
}

function where(loaded: LoadedSession): string {
  return loaded.from.kind === 'archive' ? loaded.from.path : 'live stream in Redis,';
}

/** Each archived `.cast` must be exactly what the verified events render to. */
async function checkCasts(source: SessionSource, id: string, loaded: LoadedSession): Promise<string[]> {
  if (loaded.from.kind !== 'archive') return [];
  const folder = join(source.settings.dir, dirname(loaded.from.path));
  const problems: string[] = [];
  for (const stream of collectStreams(loaded.events)) {
    if (!stream.open.recorded || stream.open.kind === 'portforward') continue;
    const name = castFileName(id, stream.open.stream);
    const text = await readFile(join(folder, name), 'utf8').catch(() => undefined);
    if (text === undefined) problems.push(`${name} is missing`);
    else if (text !== renderCast(stream)) problems.push(`${name} differs from the recorded events (edited?)`);
  }
  return problems;
}

async function exportSession(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, { ...COMMON, format: { type: 'string' } });
  const id = sessionId(positionals, 'export');
  if (values.format !== 'audit')
    throw new UsageError('sessions export needs --format audit (audit.k8s.io/v1 events)');
  return withSource(values.config, async (source) => {
    const loaded = await source.load(id);
    for (const event of auditEvents(loaded.events)) process.stdout.write(`${JSON.stringify(event)}\n`);
    return 0;
  });
}
