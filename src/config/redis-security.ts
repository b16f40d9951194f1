import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../errors.ts';
import type { RedisSecurity } from '../queues/connections.ts';

/**
 * The `redis:` section of `hoop.yaml`: how every Redis connection (approvals, recording, queues,
 * the bot, the CLI's break-glass and session commands) authenticates and checks the server.
 *
 * ```yaml
 * redis:
 *   username: hoop-gateway              # an ACL user (docs/security.md lists its rules)
 *   password: ${REDIS_PASSWORD}         # from the environment / a Secret, never written here
 *   tls:                                # with rediss:// URLs
 *     ca: /etc/hoop/redis/ca.crt        # CA that signed Redis' certificate
 *     cert: /etc/hoop/redis/client.crt  # client certificate, when Redis requires one
 *     key: /etc/hoop/redis/client.key
 *     servername: redis.hoop.svc        # the name to verify, when not the URL's host
 * ```
 *
 * The files are read once at start-up (relative paths against the config file's directory). A
 * `tls:` block with a `redis://` URL is a configuration error: TLS settings that silently do not
 * apply would be worse than none.
 */
export const redisSecuritySchema = z.strictObject({
  username: z.string().min(1).optional(),
  password: z.string().min(1).optional(),
  tls: z
    .strictObject({
      ca: z.string().min(1).optional(),
      cert: z.string().min(1).optional(),
      key: z.string().min(1).optional(),
      servername: z.string().min(1).optional(),
    })
    .refine((t) => (t.cert === undefined) === (t.key === undefined), {
      message: 'give cert and key together (a client certificate needs its key)',
    })
    .optional(),
});

export type RedisSecuritySection = z.infer<typeof redisSecuritySchema>;

export async function resolveRedisSecurity(
  section: RedisSecuritySection | undefined,
  dir: string,
  urls: Array<{ field: string; url: string; used: boolean }>,
): Promise<RedisSecurity> {
  if (!section) return {};
  const security: RedisSecurity = {};
  if (section.username) security.username = section.username;
  if (section.password) security.password = section.password;
  if (section.tls) {
    for (const { field, url, used } of urls) {
      if (used && !url.startsWith('rediss://')) {
        throw new ConfigError(field, 'redis.tls is set, so this must be a rediss:// URL');
      }
    }
    const read = async (name: 'ca' | 'cert' | 'key'): Promise<Buffer | undefined> => {
      const file = section.tls?.[name];
      if (file === undefined) return undefined;
      try {
        return await readFile(resolve(dir, file));
      } catch (error) {
        throw new ConfigError(
          `redis.tls.${name}`,
          `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
        );
      }
    };
    const [ca, cert, key] = await Promise.all([read('ca'), read('cert'), read('key')]);
    security.tls = {
      ...(ca ? { ca } : {}),
      ...(cert ? { cert } : {}),
      ...(key ? { key } : {}),
      ...(section.tls.servername ? { servername: section.tls.servername } : {}),
    };
  }
  return security;
}
