/**
 * The recording spool is part of the audit trail until it is flushed, and it sits on the
 * gateway's disk. Someone who can write that disk must not be able to change what Redis (and so
 * the archive) will say an agent did: a spool edited, cut or reordered does not verify, is set
 * aside for investigation and is not flushed. Real kubectl, a real Redis the test kills.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { whenReady } from '../../src/approvals/unavailable-error.ts';
import { createRequestConnection, type RedisConnection } from '../../src/queues/connections.ts';
import { recordingKeys } from '../../src/recording/scripts.ts';
import { SessionIndex } from '../../src/recording/session-index.ts';
import { getNamespace, type SpoolStack, startSpoolStack, until } from '../recording/spool-support.ts';
import { describeWithKubectl } from '../support/kubectl.ts';

let spooled: SpoolStack | undefined;
let client: RedisConnection | undefined;

afterEach(async () => {
  client?.disconnect();
  await spooled?.close();
  spooled = undefined;
  client = undefined;
});

describeWithKubectl('1.33', 'a spool changed on disk', () => {
  it.each([
    [
      'a line edited',
      (lines: string[]) => lines.map((l) => l.replace('namespaces/payments', 'namespaces/nothing')),
    ],
    ['a line removed', (lines: string[]) => lines.filter((_, i) => i !== 1)],
    ['two lines swapped', (lines: string[]) => [lines[1]!, lines[0]!, ...lines.slice(2)]],
    // What is left verifies as a chain; the gateway knows how many events it wrote.
    ['the last line cut off', (lines: string[]) => lines.slice(0, -1)],
  ])('%s: set aside, nothing of it flushed', async (_what, tamper) => {
    spooled = await startSpoolStack();
    const { redis, kubeconfig, dir, prefix, stack } = spooled;
    await redis.stop();
    expect((await getNamespace(kubeconfig, 'payments')).code).toBe(0);
    const file = join(dir, 'events.jsonl');
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    expect(lines.length).toBeGreaterThan(2);
    expect(lines.join('\n')).toContain('/api/v1/namespaces/payments');
    const changed = tamper(lines);
    expect(changed).not.toEqual(lines);
    await writeFile(file, `${changed.join('\n')}\n`);

    await redis.start();
    await until(
      async () => (await readdir(dir)).some((name) => name.startsWith('events.jsonl.rejected-')),
      'the changed spool was not set aside',
    );
    client = createRequestConnection({ url: redis.url });
    await whenReady(client, 5000);
    expect(await new SessionIndex(client, recordingKeys(`${prefix}:rec`)).list({ limit: 100 })).toEqual([]);
    expect(stack.logLines.some((line) => line.includes('the spool does not verify'))).toBe(true);
  });
});
