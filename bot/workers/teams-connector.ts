import { ConversationClient } from '@microsoft/teams.api';
import { TokenManager } from '@microsoft/teams.apps/dist/token-manager.js';
import type { TeamsSettings } from '../../src/config/teams.ts';
import { silentSdkLogger } from './teams-sdk-logger.ts';

/**
 * The Bot Framework connector REST API, through the Teams SDK's clients: one
 * {@link ConversationClient} per `serviceUrl` (Teams hands each conversation its connector's URL),
 * every call with the bot's own token. The clients do not retry; the notify queue does, so a 429
 * is seen here once and waited out in BullMQ (teams-poster.ts).
 *
 * The bot's token comes from the SDK's TokenManager (a client secret, or a managed identity as a
 * federated credential); tests give a {@link BotTokenSource} of their own.
 */
export type BotTokenSource = () => Promise<string>;

export interface TeamsConnector {
  /** The client for one connector; cached per URL. */
  conversations(serviceUrl: string): ConversationClient;
}

const TIMEOUT_MS = 10_000;

export function createTeamsConnector(token: BotTokenSource): TeamsConnector {
  const clients = new Map<string, ConversationClient>();
  return {
    conversations(serviceUrl) {
      const base = serviceUrl.replace(/\/+$/, '');
      let client = clients.get(base);
      if (!client) {
        client = new ConversationClient(base, { token: () => token(), timeout: TIMEOUT_MS });
        clients.set(base, client);
      }
      return client;
    },
  };
}

/**
 * The bot's connector token from the Teams SDK's TokenManager (cached and renewed by MSAL).
 * Fails with a sentence, never with the secret or the token.
 */
export function sdkTokenSource(settings: TeamsSettings): BotTokenSource {
  const manager = new TokenManager(
    {
      clientId: settings.appId,
      ...(settings.appPassword ? { clientSecret: settings.appPassword } : {}),
      ...(settings.tenantId ? { tenantId: settings.tenantId } : {}),
      ...(settings.managedIdentity ? { managedIdentityClientId: settings.managedIdentity } : {}),
    },
    silentSdkLogger,
  );
  return async () => {
    let token: Awaited<ReturnType<TokenManager['getBotToken']>>;
    try {
      token = await manager.getBotToken();
    } catch (error) {
      throw new Error(`cannot get a Bot Framework token for app ${settings.appId}`, { cause: error });
    }
    if (!token) throw new Error(`no Bot Framework token for app ${settings.appId}: check teams.appPassword`);
    return token.toString();
  };
}
