/**
 * The part of `oidc-provider` 9 (which ships no type declarations) that oidc-issuer.ts
 * uses: a Koa application configured for the client-credentials grant with JWT access tokens.
 * Only what the sandbox calls is declared, so a wrong option name fails type-checking here
 * rather than being silently ignored by the provider.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export interface ClientMetadata {
    client_id: string;
    client_secret: string;
    grant_types: string[];
    redirect_uris: string[];
    response_types: string[];
    token_endpoint_auth_method?: 'client_secret_basic' | 'client_secret_post';
  }

  export interface ProviderClient {
    clientId: string;
  }

  export interface ResourceServer {
    scope: string;
    audience?: string;
    accessTokenTTL?: number;
    accessTokenFormat?: 'opaque' | 'jwt';
    jwt?: { sign?: { alg?: string; kid?: string } };
  }

  /** The token model handed to `extraTokenClaims`; the client-credentials token names its client. */
  export interface IssuedToken {
    clientId?: string;
    kind: string;
  }

  /** Storage for stateful artifacts (sessions, opaque tokens, grants); one instance per model name. */
  export interface Adapter {
    upsert(id: string, payload: object, expiresIn: number): Promise<void>;
    find(id: string): Promise<object | undefined>;
    findByUserCode(userCode: string): Promise<object | undefined>;
    findByUid(uid: string): Promise<object | undefined>;
    consume(id: string): Promise<void>;
    destroy(id: string): Promise<void>;
    revokeByGrantId(grantId: string): Promise<void>;
  }

  export interface Configuration {
    adapter?: (modelName: string) => Adapter;
    clients?: ClientMetadata[];
    jwks?: { keys: Array<Record<string, unknown>> };
    features?: {
      clientCredentials?: { enabled: boolean };
      devInteractions?: { enabled: boolean };
      introspection?: { enabled: boolean };
      revocation?: { enabled: boolean };
      resourceIndicators?: {
        enabled: boolean;
        defaultResource?: (
          ctx: unknown,
          client: ProviderClient,
          oneOf?: string[],
        ) => Promise<string | string[]>;
        useGrantedResource?: (ctx: unknown, model: unknown) => Promise<boolean>;
        getResourceServerInfo?: (
          ctx: unknown,
          resourceIndicator: string,
          client: ProviderClient,
        ) => Promise<ResourceServer>;
      };
    };
    extraTokenClaims?: (ctx: unknown, token: IssuedToken) => Promise<Record<string, unknown> | undefined>;
    ttl?: { ClientCredentials?: number };
  }

  export const errors: {
    InvalidTarget: new (description?: string) => Error;
  };

  export class Provider {
    constructor(issuer: string, configuration?: Configuration);
    readonly issuer: string;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
  }

  export default Provider;
}
