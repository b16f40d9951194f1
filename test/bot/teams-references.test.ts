/**
 * Where the Teams bot keeps the connector each team's install named (bot/workers/teams-references.ts),
 * against a real Redis: an install that arrives while the bot's request connection is still
 * connecting (just after the bot started) is remembered, not refused; with Redis unreachable the
 * call fails within its ready timeout with the approvals store's error, never hangs.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { TeamsReferences } from '../../bot/workers/teams-references.ts';
import { ApprovalsUnavailableError, whenReady } from '../../src/approvals/unavailable-error.ts';
import { createRequestConnection, type RedisConnection } from '../../src/queues/connections.ts';
import { deleteKeys, REDIS_URL } from '../support/redis.ts';

const prefix = `test-teams-refs-${randomBytes(4).toString('hex')}`;
const connections: RedisConnection[] = [];

function connection(url: string): RedisConnection {
  const redis = createRequestConnection({ url });
  connections.push(redis);
  return redis;
}

afterEach(async () => {
  for (const redis of connections.splice(0)) redis.disconnect();
  const cleanup = createRequestConnection({ url: REDIS_URL });
  await whenReady(cleanup, 5000)
    .then(() => deleteKeys(cleanup, `${prefix}:*`))
    .finally(() => cleanup.disconnect());
});

describe('TeamsReferences', () => {
  it('remembers an install that arrives while the connection is still connecting', async () => {
    const redis = connection(REDIS_URL);
    expect(redis.status).not.toBe('ready'); // just created: the bot has only started
    const references = new TeamsReferences(redis, prefix);
    await references.remember(
      ['19:team@thread.tacv2', '19:channel@thread.tacv2'],
      'https://smba.example/amer/',
    );
    const reader = new TeamsReferences(connection(REDIS_URL), prefix);
    expect(await reader.serviceUrlOf('19:channel@thread.tacv2')).toBe('https://smba.example/amer/');
    expect(await reader.serviceUrlOf('19:unknown@thread.tacv2')).toBeUndefined();
  });

  it('with Redis unreachable, fails within its ready timeout with the approvals store error', async () => {
    const references = new TeamsReferences(connection('redis://127.0.0.1:1'), prefix);
    await expect(
      references.remember(['19:team@thread.tacv2'], 'https://smba.example/'),
    ).rejects.toBeInstanceOf(ApprovalsUnavailableError);
    await expect(references.serviceUrlOf('19:team@thread.tacv2')).rejects.toBeInstanceOf(
      ApprovalsUnavailableError,
    );
  }, 15_000);
});
