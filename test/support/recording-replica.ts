/**
 * One gateway replica's recording store in a process of its own, for the replica-race tests: it
 * joins the session of `CALLER`'s identity under `prefix`, prints `ready`, waits for a line on
 * stdin, then appends `count` request events from each of `loops` concurrent loops (as that many
 * requests one after another on a connection each) and prints what happened as one JSON line.
 *
 *   node test/support/recording-replica.ts <redis-url> <prefix> <replica> <loops> <count>
 */
import { once } from 'node:events';
import { sessionIdentity } from '../../gateway/recording/session-identity.ts';
import { RecordingStore } from '../../gateway/recording/session-store.ts';
import { whenReady } from '../../src/approvals/unavailable-error.ts';
import { createRequestConnection } from '../../src/queues/connections.ts';
import { CALLER } from '../recording/support.ts';

const [url, prefix, replica, loops, count] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
];
const identity = sessionIdentity(CALLER, 'prod', {});
const redis = createRequestConnection({ url, commandTimeoutMs: 5000 });
await whenReady(redis, 5000);
const store = new RecordingStore({ redis, prefix, idleGapMs: 60_000, replica });
const { id } = await store.resolve({ identity, caller: CALLER, cluster: 'prod' });
process.stdout.write('ready\n');
await once(process.stdin, 'data');

const failures: string[] = [];
let appended = 0;
await Promise.all(
  Array.from({ length: Number(loops) }, async (_, loop) => {
    for (let i = 0; i < Number(count); i++) {
      const rid = `${replica}-${loop}-${i}`;
      try {
        await store.append(id, identity.key, {
          type: 'request',
          rid,
          method: 'GET',
          path: '/api/v1/pods',
          headers: {},
        });
        appended++;
      } catch (error) {
        failures.push((error as Error).message);
      }
    }
  }),
);
process.stdout.write(`${JSON.stringify({ id, appended, failures })}\n`);
redis.disconnect();
process.stdin.destroy();
