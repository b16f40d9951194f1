import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in of the Bot Framework connector REST API on loopback, for tests: the Teams SDK's
 * clients reach it as the conversation's `serviceUrl`. It answers what the bot uses —
 *
 * - `POST /v3/conversations` (a new post in a channel: `channelData.channel.id`),
 * - `POST /v3/conversations/{id}/activities` (a message; with `replyToId`, a reply in a thread),
 * - `PUT /v3/conversations/{id}/activities/{activityId}` (an update),
 * - `GET /v3/conversations/{id}/members/{userId}` (a member, for UPN lookups),
 *
 * with the connector's response shapes, records every call (and the current version of each
 * activity), checks the bearer token, and can be told to answer 429 with `Retry-After`, or fail.
 */
export interface ConnectorCall {
  method: string;
  /** `create-conversation`, `send`, `reply`, `update`, `member`. */
  kind: string;
  conversationId: string;
  activityId?: string;
  body: Record<string, unknown>;
  at: number;
}

export interface PostedActivity {
  conversationId: string;
  id: string;
  replyToId?: string;
  /** The activity as last sent (after updates). */
  activity: Record<string, unknown>;
}

export interface ConnectorStandIn {
  /** `http://127.0.0.1:<port>`: the `serviceUrl`. */
  serviceUrl: string;
  /** The token the bot must present. */
  token: string;
  calls: ConnectorCall[];
  activities: Map<string, PostedActivity>;
  members: Map<string, { userPrincipalName?: string; name?: string }>;
  /** Requests refused for a missing or wrong bearer token. */
  unauthorized: number;
  /** The next `times` calls of `kind` (or `*`) fail with `status` (and Retry-After seconds). */
  failNext(kind: string, failure: { status: number; retryAfter?: number }, times?: number): void;
  waitFor(kind: string, test?: (call: ConnectorCall) => boolean, timeoutMs?: number): Promise<ConnectorCall>;
  /** The Adaptive Card content of an activity's first attachment. */
  cardOf(body: Record<string, unknown>): Record<string, unknown> | undefined;
  close(): Promise<void>;
}

export const CONNECTOR_TOKEN = 'stand-in-bot-token';

export async function startConnectorStandIn(): Promise<ConnectorStandIn> {
  const calls: ConnectorCall[] = [];
  const activities = new Map<string, PostedActivity>();
  const members = new Map<string, { userPrincipalName?: string; name?: string }>();
  const failures: Array<{ kind: string; status: number; retryAfter?: number; left: number }> = [];
  const waiters = new Set<() => void>();
  let counter = 0;
  let unauthorized = 0;

  const server: Server = createServer(async (req, res) => {
    const raw = await body(req);
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(payload));
    };
    if (req.headers.authorization !== `Bearer ${CONNECTOR_TOKEN}`) {
      unauthorized++;
      return send(401, { error: { code: 'Unauthorized', message: 'bad token' } });
    }
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const parsed = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    const route = routeOf(req.method ?? 'GET', path, parsed);
    if (!route) return send(404, { error: { code: 'NotFound', message: `no route ${req.method} ${path}` } });
    const failure = failures.find((f) => (f.kind === route.kind || f.kind === '*') && f.left > 0);
    if (failure) {
      failure.left--;
      calls.push({ method: req.method ?? '', ...route, body: parsed, at: Date.now() });
      notify();
      return send(
        failure.status,
        { error: { code: 'Throttled', message: 'stand-in failure' } },
        failure.retryAfter !== undefined ? { 'retry-after': String(failure.retryAfter) } : {},
      );
    }
    const call: ConnectorCall = { method: req.method ?? '', ...route, body: parsed, at: Date.now() };
    calls.push(call);
    notify();
    switch (route.kind) {
      case 'create-conversation': {
        const channel = (parsed['channelData'] as { channel?: { id?: string } } | undefined)?.channel?.id;
        if (!channel) return send(400, { error: { code: 'BadArgument', message: 'no channel' } });
        const id = nextId();
        activities.set(`${channel}|${id}`, {
          conversationId: channel,
          id,
          activity: (parsed['activity'] as Record<string, unknown>) ?? {},
        });
        return send(201, { id: `${channel};messageid=${id}`, activityId: id });
      }
      case 'send':
      case 'reply': {
        const id = nextId();
        const replyToId = typeof parsed['replyToId'] === 'string' ? parsed['replyToId'] : undefined;
        activities.set(`${route.conversationId}|${id}`, {
          conversationId: route.conversationId,
          id,
          activity: parsed,
          ...(replyToId ? { replyToId } : {}),
        });
        return send(201, { id });
      }
      case 'update': {
        const key = `${route.conversationId}|${route.activityId}`;
        const existing = activities.get(key);
        if (!existing) return send(404, { error: { code: 'ActivityNotFound', message: 'no such activity' } });
        existing.activity = parsed;
        return send(200, { id: route.activityId });
      }
      case 'member': {
        const member = members.get(route.activityId ?? '');
        if (!member) return send(404, { error: { code: 'MemberNotFound', message: 'no such member' } });
        return send(200, { id: `29:${route.activityId}`, aadObjectId: route.activityId, ...member });
      }
    }
    return send(404, {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  function nextId(): string {
    counter++;
    return `17${String(counter).padStart(11, '0')}`;
  }
  function notify(): void {
    for (const waiter of waiters) waiter();
  }

  return {
    serviceUrl: `http://127.0.0.1:${port}`,
    token: CONNECTOR_TOKEN,
    calls,
    activities,
    members,
    get unauthorized() {
      return unauthorized;
    },
    failNext(kind, failure, times = 1) {
      failures.push({ kind, ...failure, left: times });
    },
    waitFor(kind, test = () => true, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = calls.find((c) => (kind === '*' || c.kind === kind) && test(c));
          if (found) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(found);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `no ${kind} call within ${timeoutMs} ms (calls: ${calls.map((c) => c.kind).join(', ')})`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    cardOf(activity) {
      const attachments = activity['attachments'] as Array<{ content?: Record<string, unknown> }> | undefined;
      return attachments?.[0]?.content;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function routeOf(
  method: string,
  path: string,
  body: Record<string, unknown>,
): { kind: string; conversationId: string; activityId?: string } | undefined {
  if (method === 'POST' && path === '/v3/conversations')
    return { kind: 'create-conversation', conversationId: '' };
  const activity = /^\/v3\/conversations\/([^/]+)\/activities(?:\/([^/]+))?$/.exec(path);
  if (activity) {
    const [, conversationId, activityId] = activity as unknown as [string, string, string | undefined];
    if (method === 'PUT' && activityId) return { kind: 'update', conversationId, activityId };
    if (method === 'POST' && activityId) return { kind: 'reply', conversationId, activityId };
    if (method === 'POST') return { kind: body['replyToId'] ? 'reply' : 'send', conversationId };
  }
  const member = /^\/v3\/conversations\/([^/]+)\/members\/([^/]+)$/.exec(path);
  if (member && method === 'GET')
    return { kind: 'member', conversationId: member[1]!, activityId: member[2]! };
  return undefined;
}

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
