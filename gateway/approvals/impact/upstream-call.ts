import type { OutgoingHttpHeaders } from 'node:http';
import type { Caller } from '../../../src/authn/caller.ts';
import type { GatewayCluster, IdentityMapping } from '../../runtime.ts';
import { upstreamRequestHeaders } from '../../upstream/headers.ts';
import { openUpstreamRequest, upstreamPath } from '../../upstream/upstream-request.ts';

/**
 * One small JSON request the impact preview makes upstream: with the gateway's own credential,
 * impersonating the agent exactly as a forwarded call would (upstream/headers.ts), so the preview
 * sees no more than the agent could. The answer is read whole but capped (`maxBytes`, beyond it
 * the call fails) and the call is aborted with `signal` (the preview's time budget).
 */

export interface UpstreamCall {
  method: string;
  /** The cluster path (below `/clusters/<name>`), percent-encoded as sent. */
  path: string;
  /** The raw query without `?`. */
  query?: string;
  body?: Buffer;
  contentType?: string;
}

export interface UpstreamAnswer {
  status: number;
  /** The parsed JSON body, or undefined when it was not JSON. */
  json: unknown;
}

export type UpstreamCaller = (call: UpstreamCall) => Promise<UpstreamAnswer>;

/** Largest answer read: a list of 500 big objects fits; a preview never needs more. */
const MAX_ANSWER_BYTES = 8 * 1024 * 1024;

/** A caller bound to one cluster, one agent and one abort signal. */
export function upstreamCaller(
  cluster: GatewayCluster,
  caller: Caller,
  identity: IdentityMapping,
  signal: AbortSignal,
  maxBytes: number = MAX_ANSWER_BYTES,
): UpstreamCaller {
  return async (call) => {
    signal.throwIfAborted();
    const raw = ['Accept', 'application/json'];
    if (call.contentType) raw.push('Content-Type', call.contentType);
    const headers: OutgoingHttpHeaders = upstreamRequestHeaders(
      { headers: {}, rawHeaders: raw },
      caller,
      identity,
      await cluster.target.authorization(),
      { upgrade: false },
    );
    if (call.body) headers['content-length'] = String(call.body.length);
    const path = upstreamPath(cluster, call.path, call.query ?? '');
    const request = openUpstreamRequest(cluster, call.method, path, headers);
    const onAbort = (): void => {
      request.destroy(signal.reason instanceof Error ? signal.reason : new Error('preview aborted'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      return await new Promise<UpstreamAnswer>((resolve, reject) => {
        request.once('error', reject);
        request.once('response', (response) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > maxBytes) {
              request.destroy(new Error(`answer larger than ${maxBytes} bytes`));
              return;
            }
            chunks.push(chunk);
          });
          response.once('error', reject);
          response.once('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try {
              json = JSON.parse(text);
            } catch {
              json = undefined;
            }
            resolve({ status: response.statusCode ?? 0, json });
          });
        });
        request.end(call.body);
      });
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  };
}

/**
 * A Status answer as one line: `Forbidden (HTTP 403): <message>`. The message is left out with
 * `withMessage: false` — a dry-run's validation message may quote the request's own values,
 * which may be secret, and the preview is stored.
 */
export function answerProblem(answer: UpstreamAnswer, options: { withMessage: boolean }): string {
  const field = (name: string): string | undefined => {
    const value =
      typeof answer.json === 'object' && answer.json !== null ? Reflect.get(answer.json, name) : undefined;
    return typeof value === 'string' && value ? value : undefined;
  };
  const head = `${field('reason') ?? 'error'} (HTTP ${answer.status})`;
  const message = options.withMessage ? field('message') : undefined;
  return message ? `${head}: ${message.slice(0, 300)}` : head;
}
