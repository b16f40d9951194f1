import type { RedisConnection } from '../queues/connections.ts';

/** An entry of a session's Redis stream, as XRANGE and XREAD return it: its id and fields. */
export type StreamEntry = [id: string, fields: string[]];

/**
 * The event line of each entry of a session's stream, in order. An entry holds its line (field
 * `e`) or, for a large line (a stream's frames), the line's hash (field `r`), the line itself being
 * in the session's lines hash under that hash (append.lua says why). `undefined` where an entry
 * has neither, or its line is no longer there (the session was archived meanwhile): whoever
 * verifies the chain reports the gap.
 */
export async function entryLines(
  redis: RedisConnection,
  linesKey: string,
  entries: readonly StreamEntry[],
): Promise<Array<string | undefined>> {
  const lines = entries.map(([, fields]) => fieldOf(fields, 'e'));
  const referenced: number[] = [];
  entries.forEach(([, fields], i) => {
    if (lines[i] === undefined && fieldOf(fields, 'r') !== undefined) referenced.push(i);
  });
  if (referenced.length === 0) return lines;
  const found = await redis.hmget(linesKey, ...referenced.map((i) => fieldOf(entries[i]![1], 'r')!));
  referenced.forEach((entry, i) => {
    lines[entry] = found[i] ?? undefined;
  });
  return lines;
}

function fieldOf(fields: readonly string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}
