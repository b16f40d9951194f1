import { whenReady } from '../src/approvals/unavailable-error.ts';
import { loadConfigFile } from '../src/config/load.ts';
import type { RecordingSettings } from '../src/config/recording.ts';
import { createRequestConnection, type RedisConnection } from '../src/queues/connections.ts';
import { recordingKeys } from '../src/recording/scripts.ts';
import { SessionIndex } from '../src/recording/session-index.ts';
import { type LoadedSession, readSession } from '../src/recording/session-reader.ts';
import { UsageError } from './args.ts';

/**
 * Where the `sessions` commands read recordings: the gateway's own config file names the Redis
 * (index and live sessions) and the archive directory, so the CLI sees exactly what the gateway
 * wrote. A session is read from its archive once closed, from its live Redis stream while open,
 * and from the archive directory alone when the index no longer knows it (Redis lost, or a copy
 * of the archive on another machine): `verify` and `replay` work on an archive by itself.
 */
export interface SessionSource {
  settings: RecordingSettings;
  /** The web console's public URL, when the config has a console. */
  consoleUrl: string | undefined;
  index: SessionIndex | undefined;
  /** The session's meta (undefined without Redis or when unknown) and its stored lines. */
  load(id: string): Promise<LoadedSession>;
  close(): void;
}

export type { LoadedSession };

/** No such session: the caller named one that does not exist, so a usage error (exit 2). */
export class SessionNotFoundError extends UsageError {
  override name = 'SessionNotFoundError';
}

export async function openSessionSource(
  configFile: string,
  options: { redis?: boolean } = {},
): Promise<SessionSource> {
  const config = await loadConfigFile(configFile);
  const settings = config.recording;
  let redis: RedisConnection | undefined;
  let index: SessionIndex | undefined;
  if (options.redis !== false) {
    redis = createRequestConnection({
      url: settings.redisUrl,
      name: 'hoop-gateway-cli',
      redis: config.redis,
      commandTimeoutMs: 10_000,
    });
    try {
      await whenReady(redis, 3000);
      index = new SessionIndex(redis, recordingKeys(settings.storePrefix, { hashTag: redis.isCluster }));
    } catch {
      redis.disconnect();
      redis = undefined;
      process.stderr.write('warning: Redis is not reachable; reading archives only\n');
    }
  }
  return {
    settings,
    consoleUrl: config.console?.publicUrl,
    index,
    load: async (id) => {
      const loaded = await readSession(index, settings.dir, id);
      if (loaded) return loaded;
      throw new SessionNotFoundError(
        `no recorded session ${id} (not in the index, nor under ${settings.dir})`,
      );
    },
    close: () => redis?.disconnect(),
  };
}
