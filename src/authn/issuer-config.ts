import { z } from 'zod';
import { CLAIM_PATH } from './claim-path.ts';
import { type ClaimTemplate, compileClaimTemplate } from './claim-template.ts';
import { identityValueProblem } from './identity-value.ts';
import { insecureUrlReason } from './secure-url.ts';

/**
 * How the gateway trusts one OpenID issuer. The lead's config loader validates YAML into this
 * shape with {@link issuerConfigSchema}; {@link resolveIssuerConfig} fills in the defaults.
 */
export interface IssuerConfig {
  /** Exact `iss` value of the tokens and base of the discovery document. */
  issuer: string;
  /** The `aud` the token must carry (any one of them, when a list). */
  audience: string | string[];
  /** Default {@link DEFAULT_ALGORITHMS}. Only asymmetric JWS algorithms: never `none`, never HS*. */
  algorithms?: string[];
  /** Tolerance for `exp`, `nbf` and `iat`; default 30. */
  clockSkewSeconds?: number;
  /** Default 'sub'. */
  subjectClaim?: string;
  /** Default 'groups'; the claim may be an array of strings or one space/comma separated string. */
  groupsClaim?: string;
  /** Prepended to the subject, e.g. 'oidc:' (as kube-apiserver's --oidc-username-prefix). */
  usernamePrefix?: string;
  /** Prepended to each group. */
  groupsPrefix?: string;
  /** Use this JWKS URL instead of the discovery document's `jwks_uri` (skips discovery). */
  jwksUri?: string;
  /** PEM file of the CA that signed the issuer's TLS certificate (instead of the system store). */
  caFile?: string;
  /**
   * The user name as a template over claims (claim-template.ts), e.g. `gh:{{repository}}:{{ref}}`;
   * instead of `subjectClaim`. A token lacking a claim it names is refused (401 naming it).
   */
  username?: string;
  /**
   * Groups as templates over claims, e.g. `["gh:{{repository_owner}}", "env:{{environment}}"]`,
   * added to the `groupsClaim` groups. A template naming a claim the token lacks yields no group.
   */
  groups?: string[];
  /**
   * Claims (dotted paths) kept as the caller's context: shown to approvers, written to the request
   * log and recordings, matchable by name in policy `match.claims`. E.g. repository, ref, run_id.
   */
  contextClaims?: string[];
}

/** The issuer configuration with every default applied. */
export interface ResolvedIssuerConfig {
  issuer: string;
  audience: string[];
  algorithms: string[];
  clockSkewSeconds: number;
  subjectClaim: string;
  groupsClaim: string;
  usernamePrefix: string;
  groupsPrefix: string;
  jwksUri: string | undefined;
  caFile: string | undefined;
  /** Compiled `username`; undefined: the subject comes from `subjectClaim`. */
  username: ClaimTemplate | undefined;
  /** Compiled `groups` templates. */
  groupTemplates: ClaimTemplate[];
  contextClaims: string[];
}

/**
 * Asymmetric JWS algorithms only. Symmetric ones (HS*) would let anyone holding the issuer's
 * *public* key mint tokens if a verifier ever treated that key as an HMAC secret (the classic
 * key-confusion attack), and `none` is no signature at all; neither can be configured.
 */
export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;

export const DEFAULT_ALGORITHMS: readonly string[] = ['RS256', 'ES256', 'PS256', 'EdDSA'];

const secureUrl = z.string().superRefine((value, ctx) => {
  const reason = insecureUrlReason(value);
  if (reason) ctx.addIssue({ code: 'custom', message: reason });
});

/** A prefix for subjects or groups: they go into Impersonate-* headers (identity-value.ts). */
const namePrefix = z.string().superRefine((value, ctx) => {
  const problem = value === '' ? undefined : identityValueProblem(`${value}x`);
  if (problem) ctx.addIssue({ code: 'custom', message: `a name prefix that ${problem}` });
});

/** A claim template (claim-template.ts) that compiles. */
const claimTemplate = z
  .string()
  .min(1)
  .superRefine((value, ctx) => {
    const compiled = compileClaimTemplate(value);
    if ('problem' in compiled)
      ctx.addIssue({ code: 'custom', message: `a claim template that ${compiled.problem}` });
  });

/** A claim's dotted path: no spaces or braces, no empty segment. */
const claimPath = z
  .string()
  .regex(CLAIM_PATH, 'a claim name or dotted path such as repository or kubernetes.io.namespace');

/** Validates one entry of the gateway's trusted issuers. */
export const issuerConfigSchema = z
  .strictObject({
    issuer: secureUrl,
    audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    algorithms: z
      .array(
        z.enum(ASYMMETRIC_ALGORITHMS, {
          error: `only asymmetric algorithms are accepted (${ASYMMETRIC_ALGORITHMS.join(', ')}); never none or HS*`,
        }),
      )
      .min(1)
      .optional(),
    clockSkewSeconds: z.number().int().min(0).max(300).optional(),
    subjectClaim: z.string().min(1).optional(),
    groupsClaim: z.string().min(1).optional(),
    usernamePrefix: namePrefix.optional(),
    groupsPrefix: namePrefix.optional(),
    jwksUri: secureUrl.optional(),
    caFile: z.string().min(1).optional(),
    username: claimTemplate.optional(),
    groups: z.array(claimTemplate).optional(),
    contextClaims: z.array(claimPath).optional(),
  })
  .superRefine((config, ctx) => {
    if (config.username !== undefined && config.subjectClaim !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['username'],
        message: 'set username (a template) or subjectClaim (one claim), not both',
      });
    }
  }) satisfies z.ZodType<IssuerConfig>;

/** Applies the defaults to an already validated configuration. */
export function resolveIssuerConfig(config: IssuerConfig): ResolvedIssuerConfig {
  return {
    issuer: config.issuer,
    audience: typeof config.audience === 'string' ? [config.audience] : [...config.audience],
    algorithms: [...(config.algorithms ?? DEFAULT_ALGORITHMS)],
    clockSkewSeconds: config.clockSkewSeconds ?? 30,
    subjectClaim: config.subjectClaim ?? 'sub',
    groupsClaim: config.groupsClaim ?? 'groups',
    usernamePrefix: config.usernamePrefix ?? '',
    groupsPrefix: config.groupsPrefix ?? '',
    jwksUri: config.jwksUri,
    caFile: config.caFile,
    username: config.username === undefined ? undefined : compiled(config.username),
    groupTemplates: (config.groups ?? []).map(compiled),
    contextClaims: [...new Set(config.contextClaims ?? [])],
  };
}

/** A template the schema has already accepted. */
function compiled(source: string): ClaimTemplate {
  const template = compileClaimTemplate(source);
  if ('problem' in template) throw new Error(`claim template ${JSON.stringify(source)} ${template.problem}`);
  return template;
}
