import type { OutgoingHttpHeaders } from 'node:http';
import type { AgentResponse } from '../request-context.ts';
import { BodyCapture } from './body-capture.ts';

/**
 * Watches what one response sends to the client — status, headers and body bytes — without
 * changing any of it, so the recording holds exactly what the agent received: after masking,
 * whatever stage or stream produced it, watch and log streams included.
 *
 * It wraps `writeHead`, `write` and `end` on this one response object (own properties that
 * shadow the prototype's and call straight through). That keeps recording out of forward.ts,
 * which pipes upstream bodies (and, with masking, the masker's output) into the response: every
 * byte it writes passes here. The body is captured up to the cap (body-capture.ts).
 */
export interface ResponseTap {
  readonly capture: BodyCapture;
  /** A response header as it went out (`writeHead` headers, else `setHeader` ones). */
  header(name: string): string | undefined;
  /** True once the status line and headers were written. */
  headersSent(): boolean;
}

type Method = (...args: unknown[]) => unknown;

function headerFrom(
  headers: OutgoingHttpHeaders | readonly unknown[] | undefined,
  name: string,
): string | undefined {
  if (!headers) return undefined;
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) {
      if (String(headers[i]).toLowerCase() === name) return String(headers[i + 1]);
    }
    return undefined;
  }
  for (const [key, value] of Object.entries(headers as OutgoingHttpHeaders)) {
    if (key.toLowerCase() === name && value !== undefined)
      return Array.isArray(value) ? String(value[0]) : String(value);
  }
  return undefined;
}

export function tapResponse(res: AgentResponse, cap: number): ResponseTap {
  const capture = new BodyCapture(cap);
  let headHeaders: OutgoingHttpHeaders | readonly unknown[] | undefined;
  const target = res as unknown as Record<'writeHead' | 'write' | 'end', Method>;
  const writeHead = target.writeHead.bind(res);
  const write = target.write.bind(res);
  const end = target.end.bind(res);

  const observe = (chunk: unknown, encoding: unknown): void => {
    if (typeof chunk === 'string')
      capture.add(Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8'));
    else if (chunk instanceof Uint8Array) capture.add(chunk);
  };
  target.writeHead = (...args: unknown[]) => {
    const headers = args.slice(1).find((arg) => typeof arg === 'object' && arg !== null);
    if (headers) headHeaders = headers as OutgoingHttpHeaders;
    return writeHead(...args);
  };
  // HTTP/2's end(chunk) writes the chunk through this.write: observed once, in end.
  let ending = false;
  target.write = (...args: unknown[]) => {
    if (!ending) observe(args[0], args[1]);
    return write(...args);
  };
  target.end = (...args: unknown[]) => {
    if (typeof args[0] !== 'function') observe(args[0], args[1]);
    ending = true;
    try {
      return end(...args);
    } finally {
      ending = false;
    }
  };

  return {
    capture,
    header: (name) => {
      const lower = name.toLowerCase();
      const fromHead = headerFrom(headHeaders, lower);
      if (fromHead !== undefined) return fromHead;
      const value = res.getHeader(lower);
      return value === undefined ? undefined : Array.isArray(value) ? String(value[0]) : String(value);
    },
    headersSent: () => res.headersSent,
  };
}
