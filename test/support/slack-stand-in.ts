import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { attachSocketMode, type SocketModeStandIn } from './slack-socket-stand-in.ts';

/**
 * A stand-in of Slack's Web API on loopback, for tests: the real bolt / @slack/web-api client
 * reaches it through `slackApiUrl`. It answers the methods the bot uses — chat.postMessage,
 * chat.update, chat.postEphemeral, views.open, users.info, auth.test — with Slack's response
 * shapes, records every call (method, arguments with `blocks`/`view` decoded, token, time), and
 * can be told to answer 429 with Retry-After, to fail a method, or to be down altogether.
 *
 * It also accepts `POST /respond/<id>` as the target of `response_url`s in test payloads.
 */
export interface SlackCall {
  method: string;
  args: Record<string, unknown>;
  token: string | undefined;
  at: number;
}

export interface SlackMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: unknown[];
  threadTs?: string;
}

export interface StandInUser {
  name: string;
  email?: string;
  team_id?: string;
  deleted?: boolean;
  is_restricted?: boolean;
  is_ultra_restricted?: boolean;
  is_stranger?: boolean;
}

export type Failure = { status: number; retryAfter?: number } | { error: string };

export interface SlackStandIn {
  /** `http://127.0.0.1:<port>/api/`: give it to bolt as `slackApiUrl`. */
  apiUrl: string;
  /** Base URL for `response_url`s (`<url>/respond/<id>`). */
  url: string;
  calls: SlackCall[];
  /** Current message per `channel:ts` (after updates). */
  messages: Map<string, SlackMessage>;
  /** Socket Mode: the WebSocket that `apps.connections.open` hands out. */
  socket: SocketModeStandIn;
  /** Users `users.info` knows (team_id defaults to the stand-in's own team, T0STANDIN). */
  users: Map<string, StandInUser>;
  callsTo(method: string): SlackCall[];
  /** The next `times` calls of `method` (or of any method, `*`) fail as told. */
  failNext(method: string, failure: Failure, times?: number): void;
  /** Every call answers 503 until {@link up}. */
  down(): void;
  up(): void;
  /** Resolves with the first call of `method` (already made or future) matching `test`. */
  waitFor(method: string, test?: (call: SlackCall) => boolean, timeoutMs?: number): Promise<SlackCall>;
  close(): Promise<void>;
}

const JSON_ARGS = new Set(['blocks', 'view', 'attachments']);

export async function startSlackStandIn(): Promise<SlackStandIn> {
  const calls: SlackCall[] = [];
  const messages = new Map<string, SlackMessage>();
  const users = new Map<string, StandInUser>();
  const failures: Array<{ method: string; failure: Failure; left: number }> = [];
  const waiters = new Set<() => void>();
  let isDown = false;
  let counter = 0;

  const server: Server = createServer(async (req, res) => {
    const raw = await body(req);
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(payload));
    };
    const method = path.startsWith('/api/')
      ? path.slice(5)
      : path.startsWith('/respond/')
        ? 'response_url'
        : path;
    const args = parseArgs(raw, req.headers['content-type'] ?? '');
    const auth = req.headers.authorization;
    calls.push({
      method,
      args,
      token: auth?.startsWith('Bearer ') ? auth.slice(7) : undefined,
      at: Date.now(),
    });
    for (const wake of waiters) wake();
    if (isDown) return send(503, { ok: false, error: 'service_unavailable' });
    const failure = failures.find((f) => f.left > 0 && (f.method === method || f.method === '*'));
    if (failure) {
      failure.left--;
      if ('error' in failure.failure) return send(200, { ok: false, error: failure.failure.error });
      const headers: Record<string, string> =
        failure.failure.retryAfter !== undefined ? { 'retry-after': String(failure.failure.retryAfter) } : {};
      return send(failure.failure.status, { ok: false, error: 'ratelimited' }, headers);
    }
    send(200, answer(method, args));
  });

  const answer = (method: string, args: Record<string, unknown>): Record<string, unknown> => {
    const channel = String(args['channel'] ?? '');
    const channelId = channel.startsWith('#')
      ? `C${channel
          .slice(1)
          .toUpperCase()
          .replace(/[^A-Z0-9]/g, '')}`
      : channel;
    switch (method) {
      case 'auth.test':
        return {
          ok: true,
          url: 'https://stand-in.slack.test/',
          team: 'Stand-in',
          team_id: 'T0STANDIN',
          user: 'hoop',
          user_id: 'U0HOOPBOT',
          bot_id: 'B0HOOPBOT',
        };
      case 'chat.postMessage': {
        const ts = `${Math.floor(Date.now() / 1000)}.${String(++counter).padStart(6, '0')}`;
        const message: SlackMessage = {
          channel: channelId,
          ts,
          text: String(args['text'] ?? ''),
          blocks: (args['blocks'] as unknown[]) ?? [],
        };
        if (typeof args['thread_ts'] === 'string') message.threadTs = args['thread_ts'];
        messages.set(`${channelId}:${ts}`, message);
        return { ok: true, channel: channelId, ts, message: { text: message.text, ts } };
      }
      case 'chat.update': {
        const key = `${channel}:${String(args['ts'])}`;
        const message = messages.get(key);
        if (!message) return { ok: false, error: 'message_not_found' };
        message.text = String(args['text'] ?? '');
        message.blocks = (args['blocks'] as unknown[]) ?? [];
        return { ok: true, channel, ts: message.ts, text: message.text };
      }
      case 'chat.postEphemeral':
        return {
          ok: true,
          message_ts: `${Math.floor(Date.now() / 1000)}.${String(++counter).padStart(6, '0')}`,
        };
      case 'views.open':
        return { ok: true, view: { id: `V${++counter}`, ...(args['view'] as object) } };
      case 'users.info': {
        const user = users.get(String(args['user']));
        if (!user) return { ok: false, error: 'user_not_found' };
        const { email, ...flags } = user;
        return {
          ok: true,
          user: {
            id: args['user'],
            team_id: 'T0STANDIN',
            ...flags,
            profile: { email, real_name: user.name },
          },
        };
      }
      case 'response_url':
        return { ok: true };
      case 'apps.connections.open':
        return { ok: true, url: socket.url };
      default:
        return { ok: false, error: 'unknown_method' };
    }
  };

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const socket = attachSocketMode(server, url);
  const callsTo = (method: string) => calls.filter((call) => call.method === method);
  return {
    apiUrl: `${url}/api/`,
    url,
    socket,
    calls,
    messages,
    users,
    callsTo,
    failNext: (method, failure, times = 1) => void failures.push({ method, failure, left: times }),
    down: () => {
      isDown = true;
    },
    up: () => {
      isDown = false;
    },
    waitFor: (method, test = () => true, timeoutMs = 15_000) =>
      new Promise<SlackCall>((resolve, reject) => {
        const check = () => {
          const found = callsTo(method).find(test);
          if (!found) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `no ${method} call within ${timeoutMs} ms (calls: ${calls.map((c) => c.method).join(', ')})`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    close: () =>
      new Promise<void>((resolve) => {
        socket.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Form or JSON bodies; the Web API client form-encodes and JSON-encodes nested values. */
function parseArgs(raw: string, contentType: string): Record<string, unknown> {
  if (!raw) return {};
  if (contentType.includes('application/json')) return JSON.parse(raw) as Record<string, unknown>;
  const args: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    args[key] = JSON_ARGS.has(key) ? JSON.parse(value) : value;
  }
  return args;
}
