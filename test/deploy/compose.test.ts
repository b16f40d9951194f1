import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { loadConfigFile } from '../../src/config/load.ts';

/** deploy/compose.yaml is well formed, mounts only files in the repository, and its hoop.yaml loads. */

const run = promisify(execFile);
const deploy = fileURLToPath(new URL('../../deploy', import.meta.url));
const compose = resolve(deploy, 'compose.yaml');

const hasDockerCompose = await run('docker', ['compose', 'version']).then(
  () => true,
  () => false,
);

const pem = (): string =>
  generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

/** What the services need in their environment (compose.yaml requires each with `:?`). */
const env = {
  REDIS_URL: 'redis://redis:6379',
  REDIS_PASSWORD: 'from-the-env',
  HOOP_GATEWAY_SIGNING_KEY: pem(),
  HOOP_BOT_SIGNING_KEY: pem(),
  SLACK_BOT_TOKEN: 'xoxb-test',
  SLACK_APP_TOKEN: 'xapp-test',
  HOOP_KUBECONFIG: '/dev/null',
};

/** `source:/target[:ro]`, the source a path, a named volume or a required `${NAME:?why}`. */
const VOLUME = /^(\$\{[A-Z_]+:\?[^}]*\}|[^:$]+):(\/[^:]*)(:ro)?$/;

/** The keys compose.yaml uses, and only those: a typo or a new key fails here first. */
const service = z.strictObject({
  image: z.string().min(1),
  build: z.strictObject({ context: z.string(), dockerfile: z.string() }).optional(),
  command: z.array(z.string()),
  environment: z.record(z.string(), z.string()),
  ports: z.array(z.string().regex(/^(127\.0\.0\.1:)?\d+:\d+$/)).optional(),
  volumes: z.array(z.string().regex(VOLUME)),
  healthcheck: z
    .strictObject({
      test: z.array(z.string()),
      interval: z.string(),
      timeout: z.string(),
      retries: z.number().int(),
    })
    .optional(),
  depends_on: z
    .record(z.string(), z.strictObject({ condition: z.enum(['service_started', 'service_healthy']) }))
    .optional(),
  restart: z.literal('unless-stopped'),
});
const composeSchema = z.strictObject({
  name: z.string(),
  services: z.strictObject({ redis: service, gateway: service, bot: service }),
  volumes: z.record(z.string(), z.null()),
});

describe('docker compose deployment', () => {
  const reason = hasDockerCompose ? '' : ' (skipped: no `docker compose` on this machine)';
  it.skipIf(!hasDockerCompose)(`is accepted by \`docker compose config\`${reason}`, async () => {
    await run('docker', ['compose', '-f', compose, 'config', '--quiet'], {
      env: { ...process.env, ...env },
    });
  });

  it('parses, uses only known keys, and mounts only files that exist in the repository', async () => {
    // Without docker (as on the development machines) this schema stands in for `docker compose config`.
    const doc = composeSchema.parse(parse(await readFile(compose, 'utf8'), { merge: true }));
    const { redis, gateway, bot } = doc.services;
    expect(redis.image).toMatch(/^redis:\d+\.\d+\.\d+-alpine$/); // pinned, not a moving tag
    expect(gateway.build).toEqual({ context: '..', dockerfile: 'Dockerfile' });
    expect(existsSync(resolve(deploy, '..', gateway.build?.dockerfile ?? ''))).toBe(true);
    expect(bot.image).toBe(gateway.image);
    expect(gateway.command).toEqual(['serve', '--config', '/etc/hoop/hoop.yaml', '--role', 'gateway']);
    expect(bot.command).toEqual(['serve', '--config', '/etc/hoop/hoop.yaml', '--role', 'bot']);
    for (const [name, svc] of Object.entries(doc.services)) {
      for (const volume of svc.volumes) {
        const source = VOLUME.exec(volume)?.[1] ?? '';
        if (source.startsWith('${')) {
          // A file of the operator's, named by a variable that must be set (`:?`), never defaulted.
          expect(volume, name).toMatch(/^\$\{[A-Z_]+:\?/);
        } else if (source.startsWith('.')) {
          expect(existsSync(resolve(deploy, source)), `${name} mounts ${source}`).toBe(true);
          expect(volume, name).toMatch(/:ro$/);
        } else {
          expect(Object.keys(doc.volumes), `${name} volume ${source}`).toContain(source);
        }
      }
      // Secrets come from the environment, required, never a default written here.
      for (const [key, value] of Object.entries(svc.environment))
        if (/PASSWORD|KEY|TOKEN/.test(key)) expect(value, `${name} ${key}`).toMatch(/^\$\{[A-Z_]+:\?/);
      for (const dependency of Object.keys(svc.depends_on ?? {}))
        expect(Object.keys(doc.services)).toContain(dependency);
    }
    // Every ${NAME} hoop.yaml needs is in the services' environment.
    const config = (await readFile(resolve(deploy, 'hoop.yaml'), 'utf8')).replace(/(^|\s)#.*$/gm, '');
    for (const [, variable] of config.matchAll(/\$\{([A-Z_]+)\}/g)) {
      expect(Object.keys(gateway.environment), `gateway ${variable}`).toContain(variable);
      expect(Object.keys(bot.environment), `bot ${variable}`).toContain(variable);
    }
  });

  it('ships a hoop.yaml and policy the gateway and the bot accept', async () => {
    const config = await loadConfigFile(resolve(deploy, 'hoop.yaml'), env);
    expect(config.redis).toEqual({ password: 'from-the-env' });
    expect(config.approvals.redisUrl).toBe('redis://redis:6379');
    expect(config.slack?.mode).toBe('socket');
    expect(config.clusters.map((c) => c.upstream.kind)).toEqual(['kubeconfig']);
    expect(config.policy.rules.some((r) => r.action === 'review')).toBe(true);
    await expect(
      loadConfigFile(resolve(deploy, 'hoop.yaml'), { ...env, HOOP_BOT_SIGNING_KEY: undefined }),
    ).rejects.toThrow(/HOOP_BOT_SIGNING_KEY is not set/);
  });
});
