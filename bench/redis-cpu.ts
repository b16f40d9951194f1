import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

/**
 * The Redis server's process id when it runs on this machine (its CPU time can then be read from
 * `/proc` over exactly a measured window, and charged to the recording that kept it busy), else
 * undefined. It counts every client of that server: the bench's gateways are the only busy ones
 * while a part runs.
 */
export async function localRedisPid(redis: Redis): Promise<number | undefined> {
  const pid = Number(/^process_id:(\d+)/m.exec(await redis.info('server'))?.[1]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('redis-server') ? pid : undefined;
  } catch {
    return undefined;
  }
}
