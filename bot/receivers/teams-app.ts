import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { TeamsSettings } from '../../src/config/teams.ts';
import { answerCommand } from '../dispatch/commands.ts';
import type { DispatchDeps } from '../dispatch/deps.ts';
import { parseCommand } from '../model/command.ts';
import type { ChatActor } from '../model/interaction.ts';
import { plain, type Reply, say } from '../model/reply.ts';
import { replyCard } from '../render/teams/reply-card.ts';
import type { TeamsConnector } from '../workers/teams-connector.ts';
import { message } from '../workers/teams-poster.ts';
import type { TeamsReferences } from '../workers/teams-references.ts';
import type { ActivityAuthenticator } from './teams-auth.ts';
import { commandTextOf } from './teams-command.ts';
import { answerCardAction, type InvokeResponse, messageResponse } from './teams-invoke.ts';
import type { TeamsMemberLookup } from './teams-members.ts';

/**
 * The Teams messaging endpoint: Bot Framework POSTs every activity for the bot to
 * `teams.path` (default `/api/messages`). Transport only:
 *
 * 1. the body is read (at most 256 KB) and the `Authorization` token checked by the
 *    {@link ActivityAuthenticator} before anything in it is used: no valid token → 401, nothing
 *    else happens;
 * 2. `invoke` `adaptiveCard/action` (a card button) → teams-invoke.ts, answered in the HTTP
 *    response within {@link INVOKE_BUDGET_MS} (Teams gives up on slower invokes);
 * 3. `message` (a `hoop` command, @mentioning the bot in a channel or in a personal chat) →
 *    the dispatch layer's `answerCommand`, answered as a reply to the message through the
 *    connector (Teams has no ephemeral message: in a channel the thread sees the answer);
 * 4. `conversationUpdate` / `installationUpdate` (the app installed in a team) → the team's
 *    connector URL is remembered for proactive posts (teams-references.ts).
 *
 * The acting user is `from.aadObjectId` of an authenticated activity; a message without one is
 * answered with a refusal and decides nothing. `GET /healthz` answers 200.
 */
export interface TeamsAppOptions {
  settings: TeamsSettings;
  deps: DispatchDeps;
  authenticator: ActivityAuthenticator;
  connector: TeamsConnector;
  references: TeamsReferences;
  members: TeamsMemberLookup;
  logger?: Logger | undefined;
}

export interface TeamsAppHandle {
  start(): Promise<{ port: number }>;
  stop(): Promise<void>;
}

const MAX_BODY = 256 * 1024;
/** Teams waits about 15 s for an invoke; leave room for the network. */
export const INVOKE_BUDGET_MS = 10_000;

interface Activity {
  type?: string;
  name?: string;
  id?: string;
  text?: string;
  value?: unknown;
  serviceUrl?: string;
  from?: { id?: string; aadObjectId?: string; name?: string };
  conversation?: { id?: string; conversationType?: string };
  channelData?: { team?: { id?: string }; channel?: { id?: string } };
}

export function createTeamsApp(options: TeamsAppOptions): TeamsAppHandle {
  const { settings, logger } = options;
  const server: Server = createServer((req, res) => {
    handle(options, req, res).catch((error: unknown) => {
      logger?.error({ err: (error as Error).message }, 'teams activity failed');
      if (!res.headersSent) send(res, 500, { error: 'the bot could not handle this activity' });
    });
  });
  return {
    start: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(settings.listen.port, settings.listen.host, () => {
          server.off('error', reject);
          resolve({ port: (server.address() as AddressInfo).port });
        });
      }),
    stop: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(options: TeamsAppOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  // `URL.parse`: a target that is no path at all (`//`) is not found, not a failure of the bot.
  const path = URL.parse(req.url ?? '/', 'http://x')?.pathname;
  if (req.method === 'GET' && path === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    return;
  }
  if (path !== options.settings.path) return send(res, 404, { error: 'not found' });
  if (req.method !== 'POST') return send(res, 405, { error: 'POST activities here' });
  const raw = await readBody(req);
  if (raw === undefined) return send(res, 413, { error: 'activity too large' });
  let activity: Activity;
  try {
    activity = JSON.parse(raw) as Activity;
    if (typeof activity !== 'object' || activity === null) throw new Error('not an object');
  } catch {
    return send(res, 400, { error: 'the body is not a JSON activity' });
  }
  try {
    await options.authenticator.verify(req.headers.authorization, activity);
  } catch (error) {
    options.logger?.warn({ reason: (error as Error).message }, 'teams activity refused: not authenticated');
    return send(res, 401, { error: 'unauthorized' });
  }
  switch (activity.type) {
    case 'invoke':
      if (activity.name !== 'adaptiveCard/action') return send(res, 200, {});
      return send(res, 200, await invoke(options, activity));
    case 'message':
      await command(options, activity);
      return send(res, 200, {});
    case 'conversationUpdate':
    case 'installationUpdate':
      await remember(options, activity);
      return send(res, 200, {});
    default:
      return send(res, 200, {});
  }
}

/** The verified acting user, or `undefined` when Teams did not say (a bot, a system event). */
function actorOf(options: TeamsAppOptions, activity: Activity): ChatActor | undefined {
  const id = activity.from?.aadObjectId;
  if (typeof id !== 'string' || id === '') return undefined;
  if (activity.serviceUrl && activity.conversation?.id) {
    options.members.heardIn(id, activity.serviceUrl, activity.conversation.id);
  }
  return { platform: 'teams', userId: id, ...(activity.from?.name ? { name: activity.from.name } : {}) };
}

const NO_USER = say([plain('Teams did not say who you are (no Entra object id); nothing was changed.')]);

async function invoke(options: TeamsAppOptions, activity: Activity): Promise<InvokeResponse> {
  const actor = actorOf(options, activity);
  if (!actor) return messageResponse(NO_USER);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<InvokeResponse>((resolve) => {
    timer = setTimeout(
      () =>
        resolve(
          messageResponse(
            say([plain('Still working on it; the card shows the decision once it is applied.')]),
          ),
        ),
      INVOKE_BUDGET_MS,
    );
  });
  const answer = answerCardAction(options.deps, actor, activity.value);
  const response = await Promise.race([answer, late]);
  clearTimeout(timer);
  const verb = (activity.value as { action?: { verb?: unknown } } | undefined)?.action?.verb;
  options.logger?.info({ teamsUser: actor.userId, verb }, 'teams card action');
  return response;
}

async function command(options: TeamsAppOptions, activity: Activity): Promise<void> {
  if (!activity.serviceUrl || !activity.conversation?.id || !activity.id) return;
  const actor = actorOf(options, activity);
  let reply: Reply;
  if (!actor) reply = NO_USER;
  else {
    const parsed = parseCommand(commandTextOf(activity.text ?? ''));
    reply = await answerCommand(options.deps, parsed, actor).catch((error: unknown): Reply => {
      options.logger?.error(
        { err: (error as Error).message, subcommand: parsed.name },
        'teams command failed',
      );
      return say([plain('Something went wrong answering that; the bot log has details.')]);
    });
  }
  try {
    await options.connector
      .conversations(activity.serviceUrl)
      .activities(activity.conversation.id)
      .reply(activity.id, message(replyCard(reply)));
  } catch (error) {
    const status = (error as { response?: { status?: number } }).response?.status;
    options.logger?.warn({ status }, 'teams command answer could not be sent');
  }
}

async function remember(options: TeamsAppOptions, activity: Activity): Promise<void> {
  const ids = [activity.channelData?.team?.id, activity.channelData?.channel?.id].filter(
    (id): id is string => typeof id === 'string' && id.startsWith('19:'),
  );
  if (ids.length === 0 || !activity.serviceUrl) return;
  await options.references.remember(ids, activity.serviceUrl);
  options.logger?.info({ conversations: ids.length }, 'teams install seen; connector remembered');
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        resolve(undefined);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}
