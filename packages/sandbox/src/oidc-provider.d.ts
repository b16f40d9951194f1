/**
 * The part of `oidc-provider` 9 (which ships no type declarations) that oidc-issuer.ts
 * uses: a Koa application configured for the client-credentials grant with JWT access tokens,
 * and the device authorization grant for people (accounts, grants, interactions).
 * Only what the sandbox calls is declared, so a wrong option name fails type-checking here
 * rather than being silently ignored by the provider.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export interface ClientMetadata {
    client_id: string;
    /** Absent for a public client (`token_endpoint_auth_method: 'none'`). */
    client_secret?: string;
    grant_types: string[];
    redirect_uris: string[];
    response_types: string[];
    token_endpoint_auth_method?: 'client_secret_basic' | 'client_secret_post' | 'none';
  }

  export interface ProviderClient {
    clientId: string;
    grantTypeAllowed(grantType: string): boolean;
  }

  /** A person's account, as `findAccount` returns it. */
  export interface Account {
    accountId: string;
    claims(): Promise<Record<string, unknown>>;
  }

  /** What a person granted a client; saved through the adapter. */
  export class Grant {
    constructor(properties: { accountId: string; clientId: string });
    addOIDCScope(scope: string): void;
    addResourceScope(resource: string, scope: string): void;
    save(): Promise<string>;
  }

  /** The pending sign-in a `/interaction/<uid>` page serves. */
  export interface InteractionDetails {
    uid: string;
    prompt: { name: 'login' | 'consent' | string; details: Record<string, unknown> };
    params: Record<string, unknown>;
    session?: { accountId?: string };
  }

  export interface ResourceServer {
    scope: string;
    audience?: string;
    accessTokenTTL?: number;
    accessTokenFormat?: 'opaque' | 'jwt';
    jwt?: { sign?: { alg?: string; kid?: string } };
  }

  /** The token model handed to `extraTokenClaims`; names its client, and its account if any. */
  export interface IssuedToken {
    clientId?: string;
    accountId?: string;
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
    cookies?: { keys: string[] };
    claims?: Record<string, string[]>;
    findAccount?: (ctx: unknown, id: string) => Promise<Account | undefined>;
    loadExistingGrant?: (ctx: unknown) => Promise<Grant | undefined>;
    issueRefreshToken?: (ctx: unknown, client: ProviderClient, code: unknown) => Promise<boolean>;
    features?: {
      clientCredentials?: { enabled: boolean };
      deviceFlow?: {
        enabled: boolean;
        userCodeInputSource?: (ctx: unknown, form: string, out: unknown, err: unknown) => Promise<void>;
        userCodeConfirmSource?: (
          ctx: unknown,
          form: string,
          client: unknown,
          deviceInfo: unknown,
          userCode: string,
        ) => Promise<void>;
        successSource?: (ctx: unknown) => Promise<void>;
      };
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
    ttl?: Partial<
      Record<
        | 'ClientCredentials'
        | 'AccessToken'
        | 'IdToken'
        | 'DeviceCode'
        | 'RefreshToken'
        | 'Grant'
        | 'Session'
        | 'Interaction',
        number
      >
    >;
  }

  export const errors: {
    InvalidTarget: new (description?: string) => Error;
  };

  export class Provider {
    constructor(issuer: string, configuration?: Configuration);
    readonly issuer: string;
    readonly Grant: typeof Grant;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
    interactionFinished(
      req: IncomingMessage,
      res: ServerResponse,
      result: Record<string, unknown>,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<void>;
  }

  export default Provider;
}
