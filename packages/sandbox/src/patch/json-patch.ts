/**
 * JSON Patch (RFC 6902), the `application/json-patch+json` patch type: a list of operations
 * (add, remove, replace, move, copy, test) addressed by JSON Pointers (RFC 6901).
 *
 * Errors: a malformed patch is a BadRequest; a pointer that does not resolve or a failed `test`
 * is a 422, as the apiserver answers (its wording, so a person can fix the patch).
 */
import { StatusError } from '../../../../src/errors.ts';
import { badRequest } from '../errors.ts';
import { isRecord } from '../objects/meta.ts';

type Container = Record<string, unknown> | unknown[];

function unprocessable(message: string): StatusError {
  return new StatusError(422, 'Invalid', message);
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw badRequest(`invalid JSON pointer "${pointer}"`);
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Walks to the parent of the pointer's last token. */
function parentOf(document: unknown, tokens: string[], pointer: string): { parent: Container; last: string } {
  let current: unknown = document;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(current)) current = current[Number(token)];
    else if (isRecord(current)) current = current[token];
    else current = undefined;
    if (current === undefined) throw unprocessable(`doc is missing path: "${pointer}": missing value`);
  }
  if (!Array.isArray(current) && !isRecord(current)) {
    throw unprocessable(`doc is missing path: "${pointer}": missing value`);
  }
  return { parent: current, last: tokens[tokens.length - 1] ?? '' };
}

function arrayIndex(array: unknown[], token: string, forInsert: boolean, pointer: string): number {
  if (forInsert && token === '-') return array.length;
  const index = Number(token);
  const max = forInsert ? array.length : array.length - 1;
  if (!/^\d+$/.test(token) || index > max) throw unprocessable(`index out of range in "${pointer}"`);
  return index;
}

function getAt(document: unknown, pointer: string): unknown {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return document;
  const { parent, last } = parentOf(document, tokens, pointer);
  const value = Array.isArray(parent) ? parent[arrayIndex(parent, last, false, pointer)] : parent[last];
  if (value === undefined) throw unprocessable(`doc is missing path: "${pointer}": missing value`);
  return value;
}

function addAt(document: unknown, pointer: string, value: unknown): unknown {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return value;
  const { parent, last } = parentOf(document, tokens, pointer);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, true, pointer), 0, value);
  else parent[last] = value;
  return document;
}

function removeAt(document: unknown, pointer: string): unknown {
  const tokens = parsePointer(pointer);
  const { parent, last } = parentOf(document, tokens, pointer);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, false, pointer), 1);
  else {
    if (!(last in parent)) throw unprocessable(`Unable to remove nonexistent key: ${last}: missing value`);
    delete parent[last];
  }
  return document;
}

/** Applies a JSON Patch document to a copy of `target` and returns the result. */
export function applyJsonPatch(target: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) throw badRequest('json patch must be a JSON array of operations');
  let document: unknown = structuredClone(target);
  for (const raw of operations) {
    if (!isRecord(raw) || typeof raw['op'] !== 'string' || typeof raw['path'] !== 'string') {
      throw badRequest('json patch operations need "op" and "path"');
    }
    const path = raw['path'];
    const from = typeof raw['from'] === 'string' ? raw['from'] : '';
    switch (raw['op']) {
      case 'add':
        document = addAt(document, path, structuredClone(raw['value']));
        break;
      case 'remove':
        document = removeAt(document, path);
        break;
      case 'replace':
        getAt(document, path);
        document = addAt(removeAt(document, path), path, structuredClone(raw['value']));
        break;
      case 'move': {
        const value = getAt(document, from);
        document = addAt(removeAt(document, from), path, value);
        break;
      }
      case 'copy':
        document = addAt(document, path, structuredClone(getAt(document, from)));
        break;
      case 'test':
        if (JSON.stringify(getAt(document, path)) !== JSON.stringify(raw['value'])) {
          throw unprocessable(`testing value ${path} failed: test failed`);
        }
        break;
      default:
        throw badRequest(`Unexpected kind: ${String(raw['op'])}`);
    }
  }
  return document;
}
