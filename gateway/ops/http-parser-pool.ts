import { createRequire } from 'node:module';

/**
 * Node keeps the HTTP/1.1 parsers of closed connections for reuse, up to 1,000 of them (the free
 * list `parsers` of its `_http_common` module), each holding ~10 KB of native memory. A burst of
 * a thousand connections (a thousand `kubectl get -w`, each its own connection) so left ~10 MB in
 * the gateway that it never gave back: measured with jemalloc's heap profile, 10.1 MB of the
 * 12.5 MB still allocated after 1,000 watches had closed was `HTTPParser`s in that list.
 *
 * The gateway keeps {@link HTTP_PARSER_POOL} instead: enough to reuse parsers across ordinary
 * connection churn; a parser beyond it is closed when its connection ends (Node's own path for a
 * full list), and a new connection past the pool allocates one, which costs little beside its TLS
 * handshake.
 */
export const HTTP_PARSER_POOL = 64;

interface ParserFreeList {
  max: number;
  list: Array<{ close?: () => void }>;
}

/** Node's free list of parsers, or undefined where it has none (a later Node may not). */
function parserFreeList(): ParserFreeList | undefined {
  let parsers: unknown;
  try {
    parsers = (createRequire(import.meta.url)('_http_common') as { parsers?: unknown }).parsers;
  } catch {
    return undefined;
  }
  const candidate = parsers as Partial<ParserFreeList> | undefined;
  return typeof candidate?.max === 'number' && Array.isArray(candidate.list)
    ? (candidate as ParserFreeList)
    : undefined;
}

/**
 * Caps Node's free list of HTTP parsers at `max`, closing any kept beyond it. Returns false, and
 * changes nothing, where Node has no such list: the cap is about memory, never needed for
 * correctness.
 */
export function capHttpParserPool(max = HTTP_PARSER_POOL): boolean {
  const parsers = parserFreeList();
  if (!parsers) return false;
  parsers.max = max;
  for (const parser of parsers.list.splice(max)) parser.close?.();
  return true;
}

/** How many parsers Node keeps now, and at most (tests, diagnostics); undefined without the list. */
export function httpParserPool(): { kept: number; max: number } | undefined {
  const parsers = parserFreeList();
  return parsers ? { kept: parsers.list.length, max: parsers.max } : undefined;
}
