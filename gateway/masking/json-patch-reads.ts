/**
 * JSON-patch operations that read a value the caller is never shown. `copy` and `move` read
 * `from` and put it somewhere else — an annotation, the name, `apiVersion`, `generateName` —
 * where the object or the error message about it shows it; `test` compares `path` with a guess
 * and answers yes or no, an oracle that needs no echo at all. Any of these whose pointer touches
 * a value field (value-fields.ts) is refused. Writing values (`add`, `replace`) and `remove`
 * read nothing back, and reads of other fields stay allowed.
 */
import { isJsonObject, type JsonValue } from '../../src/masking/mask-core.ts';
import { type FieldPattern, pointerTokens, touchesValueField } from './value-fields.ts';

/** The first operation of `ops` that reads a value field, with the pointer it reads. */
export interface ValueRead {
  index: number;
  op: string;
  pointer: string;
}

const READS: Readonly<Record<string, 'from' | 'path'>> = { copy: 'from', move: 'from', test: 'path' };

export function valueReadOf(
  ops: readonly JsonValue[],
  patterns: readonly FieldPattern[],
): ValueRead | undefined {
  if (patterns.length === 0) return undefined;
  for (let index = 0; index < ops.length; index++) {
    const op = ops[index];
    if (!isJsonObject(op) || typeof op['op'] !== 'string') continue;
    const field = READS[op['op']];
    if (field === undefined) continue;
    const pointer = op[field];
    // A missing or non-string pointer: the cluster refuses the patch anyway; refusing it here
    // costs nothing and never guesses what it would have read.
    if (typeof pointer !== 'string' || touchesValueField(pointerTokens(pointer), patterns)) {
      return { index, op: op['op'], pointer: typeof pointer === 'string' ? pointer : '' };
    }
  }
  return undefined;
}
