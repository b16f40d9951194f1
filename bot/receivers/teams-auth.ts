import { PUBLIC, withOverrides } from '@microsoft/teams.api';
import { InboundActivityTokenValidator } from '@microsoft/teams.apps/dist/middleware/auth/inbound-activity-token-validator.js';
import { silentSdkLogger } from '../workers/teams-sdk-logger.ts';

/**
 * Authenticating an incoming Teams activity: the Bot Framework service signs a JWT for every
 * request it POSTs to the bot's messaging endpoint (`Authorization: Bearer …`). The token must be
 * signed by a key from Bot Framework's OpenID metadata (JWKS), issued by its issuer, for this bot
 * (`aud` = the app id), unexpired, and its `serviceurl` claim must equal the activity's
 * `serviceUrl`, so a token for one conversation's connector cannot vouch for another.
 *
 * The check is the Teams SDK's own ({@link InboundActivityTokenValidator}), pointed at a
 * configurable OpenID metadata URL and issuer so tests can serve their own keys; it is injected
 * into the receiver as an {@link ActivityAuthenticator}, the seam tests use.
 *
 * Nothing in the activity (who clicked, which conversation) is trusted before this passes; after
 * it, `from.aadObjectId` is the acting user as Teams asserts it.
 */
export interface ActivityAuthenticator {
  /** Resolves when `authorization` vouches for `activity`; rejects otherwise. */
  verify(authorization: string | undefined, activity: { serviceUrl?: unknown }): Promise<void>;
}

export interface BotFrameworkAuthOptions {
  appId: string;
  tenantId: string | undefined;
  openIdMetadataUrl: string;
  tokenIssuer: string;
}

export function botFrameworkAuthenticator(options: BotFrameworkAuthOptions): ActivityAuthenticator {
  const cloud = withOverrides(PUBLIC, {
    openIdMetadataUrl: options.openIdMetadataUrl,
    tokenIssuer: options.tokenIssuer,
  });
  const validator = new InboundActivityTokenValidator(
    options.appId,
    options.tenantId,
    undefined,
    silentSdkLogger,
    cloud,
  );
  return {
    async verify(authorization, activity) {
      if (!authorization?.startsWith('Bearer ') || authorization.length < 20) {
        throw new Error('no bearer token');
      }
      if (typeof activity.serviceUrl !== 'string' || activity.serviceUrl === '') {
        throw new Error('activity without serviceUrl');
      }
      await validator.check(authorization, { serviceUrl: activity.serviceUrl });
    },
  };
}
