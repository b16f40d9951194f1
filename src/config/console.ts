import { resolve } from 'node:path';
import { z } from 'zod';

/**
 * The `console:` section of `hoop.yaml`: the web console for people (docs/console.md), served by
 * `serve --role console|all` on its own TLS listener. People sign in with `authentication.people`
 * (authorization code + PKCE); the redirect URI is `<publicUrl>/auth/callback`.
 *
 * ```yaml
 * console:
 *   listen: { host: 0.0.0.0, port: 8444 }
 *   tls: { certFile: console.crt, keyFile: console.key }   # default: the gateway's, or generated
 *   publicUrl: https://console.example.com   # what browsers, chat cards and the CLI link to
 *   clientId: hoop-console                  # default: authentication.people.clientId (public, PKCE)
 *   clientSecret: ${HOOP_CONSOLE_CLIENT_SECRET}   # only for a confidential clientId
 *   viewers: [sre, auditors]                # groups that may see sessions and reviews
 *   assets: dist/console                    # the built front end
 *   sessionMaxAge: 8h                       # a sign-in lasts at most this long (refreshed silently)
 *   maxLiveViews: 50                        # open live views (SSE) at once
 * ```
 *
 * Who may decide is not configured here: the review's own rule says (approvers, self-approval),
 * exactly as for chat and the CLI. Decisions are signed with `approvals.signing.consolePrivateKey`.
 */

const duration = z.string().regex(/^\d+(m|h)$/, 'a duration such as 30m or 8h');

export const consoleSchema = z.strictObject({
  listen: z
    .strictObject({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(8444),
    })
    .default({ host: '127.0.0.1', port: 8444 }),
  tls: z.strictObject({ certFile: z.string().min(1), keyFile: z.string().min(1) }).optional(),
  publicUrl: z
    .url()
    .refine((url) => url.startsWith('https://'), 'an https:// URL (the session cookie is Secure)')
    .refine((url) => {
      const parsed = new URL(url);
      return parsed.pathname === '/' && !parsed.search && !parsed.hash;
    }, 'an origin without a path, query or fragment, e.g. https://console.example.com'),
  clientId: z.string().min(1).optional(),
  clientSecret: z.string().min(1).optional(),
  viewers: z.array(z.string().min(1)).min(1, 'name at least one group that may view'),
  assets: z.string().min(1).default('dist/console'),
  sessionMaxAge: duration.default('8h'),
  maxLiveViews: z.number().int().min(1).max(10_000).default(50),
});

export type ConsoleSection = z.infer<typeof consoleSchema>;

export interface ConsoleSettings {
  listen: { host: string; port: number };
  tls: { certFile: string; keyFile: string } | undefined;
  /** The origin, without a trailing slash. */
  publicUrl: string;
  /** The OpenID client the console signs people in with; undefined: the people client. */
  clientId: string | undefined;
  clientSecret: string | undefined;
  viewers: string[];
  /** Absolute path of the built front end. */
  assets: string;
  sessionMaxAgeMs: number;
  maxLiveViews: number;
}

export function resolveConsole(
  section: ConsoleSection | undefined,
  configDir: string,
): ConsoleSettings | undefined {
  if (!section) return undefined;
  const hours = section.sessionMaxAge.endsWith('h');
  return {
    listen: section.listen,
    tls: section.tls
      ? {
          certFile: resolve(configDir, section.tls.certFile),
          keyFile: resolve(configDir, section.tls.keyFile),
        }
      : undefined,
    publicUrl: new URL(section.publicUrl).origin,
    clientId: section.clientId,
    clientSecret: section.clientSecret,
    viewers: section.viewers,
    assets: resolve(configDir, section.assets),
    sessionMaxAgeMs: Number.parseInt(section.sessionMaxAge, 10) * (hours ? 3_600_000 : 60_000),
    maxLiveViews: section.maxLiveViews,
  };
}

/** The console's page for a recorded session, for links in chat and the CLI. */
export function consoleSessionUrl(publicUrl: string, sessionId: string): string {
  return `${publicUrl}/sessions/${encodeURIComponent(sessionId)}`;
}

/** The console's page for a review. */
export function consoleReviewUrl(publicUrl: string, reviewId: string): string {
  return `${publicUrl}/reviews/${encodeURIComponent(reviewId)}`;
}
