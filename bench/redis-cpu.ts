import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

/**
 * CPU time (user + system, ms) the Redis server has spent since it started, from `INFO cpu`, so
 * a part of the bench can charge the recording's Redis work to the copies it measures. It counts
 * every client of that server: the bench's gateways are the only busy ones while a part runs.
 */
export async function redisCpuMs(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const seconds = (field: string): number => {
    const value = new RegExp(`^${field}:([0-9.]+)`, 'm').exec(info)?.[1];
    if (value === undefined) throw new Error(`INFO cpu has no ${field}`);
    return Number(value);
  };
  return (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1000;
}

/**
 * The Redis server's process id when it runs on this machine (its CPU time can then be read from
 * `/proc` over exactly a measured window), else undefined.
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
