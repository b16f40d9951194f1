/**
 * The one decoder for what a hoop Lua script returns. Every script replies with a flat array of
 * strings: a few leading values (outcome, id, sequence …), optionally followed by a record as
 * HGETALL gives it (`field, value, …`). The script declaration says how many leading values
 * there are (lua-scripts.ts), so callers get both parts already split and never touch the raw
 * reply.
 */

/** A decoded script reply. */
export interface ScriptReply {
  /** The leading values, in order (every element when the script has no record tail). */
  readonly head: readonly string[];
  /** The record after the head, as field → value; empty when there is none. */
  readonly fields: Readonly<Record<string, string>>;
}

/**
 * Decodes `reply` from script `script`: Buffers and numbers become strings, the first `head`
 * elements (all when undefined) are the head, the rest pairs into fields. Throws a TypeError on
 * another shape, which is a bug in a script, not a runtime condition.
 */
export function decodeScriptReply(reply: unknown, script: string, head?: number): ScriptReply {
  if (!Array.isArray(reply) || (head !== undefined && reply.length < head)) {
    throw new TypeError(`script ${script} returned ${describe(reply)}, expected an array`);
  }
  const strings = reply.map((item: unknown) => {
    if (typeof item === 'string') return item;
    if (Buffer.isBuffer(item)) return item.toString('utf8');
    if (typeof item === 'number') return String(item);
    throw new TypeError(`script ${script} returned a non-string element`);
  });
  const split = head ?? strings.length;
  const fields: Record<string, string> = {};
  for (let i = split; i + 1 < strings.length; i += 2) fields[strings[i]!] = strings[i + 1]!;
  return { head: strings.slice(0, split), fields };
}

function describe(reply: unknown): string {
  return Array.isArray(reply) ? `${reply.length} elements` : typeof reply;
}
