import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBot, startBot } from '../../bot/main.ts';
import { run as reviews } from '../../cli/reviews.ts';
import { loadBotSigner } from '../../src/approvals/signing/load-signing.ts';
import { loadConfigFile } from '../../src/config/load.ts';
import { createCertificateAuthority, issueServingCertificate } from '../../src/tls/certificate-issuer.ts';
import { rawRequest } from '../approvals-e2e/raw-https.ts';
import { type ApprovalsStack, startApprovalsStack } from '../approvals-e2e/support.ts';
import { CHANNEL, clickBody, postSigned, SIGNING_SECRET } from '../bot/harness.ts';
import { type SlackStandIn, startSlackStandIn } from '../support/slack-stand-in.ts';
import { type ThrowawayRedis, throwawayRedis } from '../support/throwaway-redis.ts';

/**
 * Vulnerability class: Redis reachable without TLS or credentials. A second redis-server started
 * here serves TLS only (certificate from a CA generated for the test) and knows only ACL users,
 * with the rules docs/security.md gives the gateway and the bot (default user off). The gateway,
 * the bot (cards through BullMQ, a click) and the CLI (break-glass) all work through it; a plain
 * connection, a wrong password and commands or keys outside the rules are refused.
 */
const PREFIX = 'hoop-acl';
/**
 * The ACL rules docs/security.md gives `user`, read from the document itself (so the documented
 * rules are the tested ones), for the deployment's key prefix.
 */
async function documentedRules(user: 'hoop-gateway' | 'hoop-bot', prefix: string): Promise<string[]> {
  const doc = await readFile(new URL('../../docs/security.md', import.meta.url), 'utf8');
  const line = doc.split('\n').find((l) => l.startsWith(`user ${user} on >`));
  if (!line) throw new Error(`docs/security.md has no ACL line for ${user}`);
  return line
    .split(/\s+/)
    .slice(4)
    .map((rule) => rule.replace(/^([~&])hoop:\*$/, `$1${prefix}:*`));
}

const PASSWORDS = {
  gateway: 'gateway-pass-0123456789',
  bot: 'bot-pass-0123456789',
  admin: 'admin-pass-0123456789',
};

let dir: string;
let redis: ThrowawayRedis;
let stack: ApprovalsStack;
let slack: SlackStandIn;
let bot: RunningBot | undefined;
let caFile: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hoop-redis-tls-'));
  const ca = await createCertificateAuthority('hoop test redis CA');
  const serving = await issueServingCertificate(ca, ['127.0.0.1', 'localhost']);
  caFile = join(dir, 'ca.pem');
  await writeFile(caFile, ca.certPem);
  await writeFile(join(dir, 'redis.crt'), serving.certPem);
  await writeFile(join(dir, 'redis.key'), serving.keyPem, { mode: 0o600 });
  redis = await throwawayRedis({
    tls: { certFile: join(dir, 'redis.crt'), keyFile: join(dir, 'redis.key'), caFile },
    args: [
      '--user',
      'default',
      'off',
      '--user',
      'hoop-gateway',
      'on',
      `>${PASSWORDS.gateway}`,
      ...(await documentedRules('hoop-gateway', PREFIX)),
      '--user',
      'hoop-bot',
      'on',
      `>${PASSWORDS.bot}`,
      ...(await documentedRules('hoop-bot', PREFIX)),
      '--user',
      'admin',
      'on',
      `>${PASSWORDS.admin}`,
      '~*',
      '&*',
      '+@all',
    ],
  });
  await redis.start();
  const tls = { ca: caFile };
  stack = await startApprovalsStack({
    prefix: PREFIX,
    approvals: { redisUrl: redis.url },
    config: { redis: { username: 'hoop-gateway', password: PASSWORDS.gateway, tls } },
    redis: { username: 'admin', password: PASSWORDS.admin, tls: { ca: Buffer.from(ca.certPem) } },
  });
  slack = await startSlackStandIn();
});

afterAll(async () => {
  await bot?.close();
  await stack?.close();
  await slack?.close();
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('Redis with TLS and ACL users', () => {
  it('the gateway holds and the bot approves through it; cards go through BullMQ', async () => {
    const config = await loadConfigFile(stack.configFile);
    expect(config.redis).toMatchObject({ username: 'hoop-gateway', tls: { ca: expect.any(Buffer) } });
    bot = await startBot({
      slack: {
        ...(await import('../../src/config/slack.ts')).resolveSlack(
          (await import('../../src/config/slack.ts')).slackSchema.parse({
            botToken: 'xoxb-test-token',
            signingSecret: SIGNING_SECRET,
            listen: { host: '127.0.0.1', port: 0 },
            channel: CHANNEL,
            apiUrl: slack.apiUrl,
            approvers: { users: { U0BOB: 'approver-1' } },
          }),
        )!,
      },
      approvals: config.approvals,
      redis: { ...config.redis, username: 'hoop-bot', password: PASSWORDS.bot },
      signer: (await loadBotSigner(config.approvals.signing))!,
    });
    const call = rawRequest({
      url: `${stack.clusterUrl()}/api/v1/namespaces/scratch`,
      method: 'DELETE',
      token: await stack.issuer.issueToken('agent-1'),
      caPem: stack.gateway.caPem ?? '',
    });
    const [review] = await stack.pending();
    await slack.waitFor(
      'chat.postMessage',
      (c) => JSON.stringify(c.args['blocks']).includes(review!.id),
      20_000,
    );
    await postSigned(
      `http://127.0.0.1:${bot.port}/slack/events`,
      clickBody({ user: 'U0BOB', actionId: 'hoop_approve', value: review!.id }),
    );
    expect((await call).status).toBe(200);
    expect(stack.upstreamCount('DELETE', '/api/v1/namespaces/scratch')).toBe(1);
  });

  it('the break-glass CLI decides through it, and the gateway says so', async () => {
    const call = rawRequest({
      url: `${stack.clusterUrl()}/api/v1/namespaces/payments`,
      method: 'DELETE',
      token: await stack.issuer.issueToken('agent-1'),
      caPem: stack.gateway.caPem ?? '',
    });
    const [review] = await stack.pending();
    let out = '';
    let err = '';
    const io = {
      out: (text: string) => {
        out += text;
      },
      err: (text: string) => {
        err += text;
      },
    };
    const args = ['--break-glass', stack.breakGlassKeyFile, '--config', stack.configFile];
    expect(
      await reviews(['approve', review!.id, ...args, '--as', 'oncall'], io).catch((e: Error) => e.message),
    ).toBe('--break-glass needs --reason TEXT: why the normal path cannot be used');
    expect(
      await reviews(['approve', review!.id, ...args, '--as', 'oncall', '--reason', 'IdP down'], io),
    ).toBe(0);
    expect(out).toContain(`approved ${review!.id}`);
    const audit = err
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(audit).toContainEqual(
      expect.objectContaining({ alert: 'break-glass', review: review!.id, approver: 'oncall' }),
    );
    expect((await call).status).toBe(200);
    expect(stack.logs()).toContainEqual(
      expect.objectContaining({ alert: 'break-glass-decision', review: review!.id }),
    );
    expect(await stack.store.history(review!.id)).toContainEqual(
      expect.objectContaining({ kind: 'break-glass', by: 'oncall' }),
    );
  });

  it('refuses plain connections, wrong passwords, and anything outside the ACL rules', async () => {
    const ca = Buffer.from(await readFile(caFile));
    /** Connects with `options` and pings; the answer, or why the connection failed. */
    const attempt = async (options: RedisOptions, url = redis.url): Promise<string> => {
      let failure = '';
      const client = new Redis(url, {
        ...options,
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      client.on('error', (error: Error) => {
        failure ||= error.message;
      });
      try {
        await client.connect();
        return await client.ping();
      } catch (error) {
        return failure || (error as Error).message;
      } finally {
        client.disconnect();
      }
    };
    const gateway = { username: 'hoop-gateway', password: PASSWORDS.gateway };
    expect(await attempt({ ...gateway, tls: { ca } })).toBe('PONG');
    expect(await attempt({ ...gateway, password: 'wrong', tls: { ca } })).toMatch(/WRONGPASS/);
    expect(await attempt({ tls: { ca } })).toMatch(/NOAUTH/);
    expect(await attempt({ ...gateway, tls: {} })).toMatch(/self-signed|certificate/i);
    expect(await attempt(gateway, redis.url.replace('rediss:', 'redis:'))).not.toBe('PONG');

    const client = new Redis(redis.url, { username: 'hoop-bot', password: PASSWORDS.bot, tls: { ca } });
    try {
      await expect(client.flushall()).rejects.toThrow(/NOPERM/);
      await expect(client.config('GET', 'requirepass')).rejects.toThrow(/NOPERM/);
      await expect(client.keys('*')).rejects.toThrow(/NOPERM/);
      await expect(client.set('other-app:secret', 'x')).rejects.toThrow(/NOPERM/);
      expect(await client.set(`${PREFIX}:probe`, 'x')).toBe('OK');
      await client.del(`${PREFIX}:probe`);
    } finally {
      client.disconnect();
    }
  });
});
