import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HTTPModuleFunctions, type HTTPReceiver } from '@slack/bolt';
import type { Logger } from 'pino';
import { whenReady } from '../../src/approvals/unavailable-error.ts';
import type { RedisConnection } from '../../src/queues/connections.ts';

/**
 * What bolt's own check of a signed Slack request leaves open, closed in front of it:
 *
 * - **Future timestamps.** Bolt refuses a request older than 5 minutes but accepts one dated any
 *   time ahead, so a signature made with a skewed (or attacker-set) clock stays usable for as long
 *   as that. Here the timestamp must be within 5 minutes of now, either way.
 * - **Replays.** A captured request (signature, timestamp and body) can be sent again within its
 *   5 minutes, and bolt would run it again. Here each valid signature is accepted once: it is
 *   recorded in Redis (`SET NX`, kept 10 minutes, longer than the timestamp window, so a replay
 *   can never outlive its record) and a second request with it gets 401. Redis being the record,
 *   every bot replica refuses the replay, whichever one saw the original.
 *
 * The check runs on the request's body before bolt sees it: the body is buffered the way bolt
 * buffers it (bolt then reuses it), the `v0=` HMAC is verified (only a valid signature is
 * recorded, so garbage cannot fill the cache or pre-empt a genuine request), and only then is the
 * request handed to bolt, which verifies it again and dispatches it. Requests to other paths
 * (`/healthz`) and Slack's unsigned `ssl_check` pass through untouched. When Redis cannot record
 * the signature the request is refused with 503 (fail closed): a decision needs Redis anyway.
 */
export const MAX_SKEW_SECONDS = 300;
const SEEN_SECONDS = 600;
const BODY_LIMIT = 4 * 1024 * 1024;

export interface SlackRequestGuardOptions {
  signingSecret: string;
  path: string;
  redis: RedisConnection;
  /** Key prefix for seen signatures (`<prefix>:slack:seen:<sha256>`). */
  prefix: string;
  logger?: Logger | undefined;
  now?: () => number;
}

export function guardSlackRequests(receiver: HTTPReceiver, options: SlackRequestGuardOptions): void {
  const next = receiver.requestListener;
  const now = options.now ?? Date.now;
  receiver.requestListener = (req, res) => {
    const path = URL.parse(req.url ?? '/', 'http://x')?.pathname;
    // A target that is no path at all (`//`): bolt's router would throw on it and answer 500.
    if (path === undefined) {
      refuse(res, 404);
      return;
    }
    if (req.method !== 'POST' || path !== options.path) {
      next(req, res);
      return;
    }
    void check(req, res)
      .then((verdict) => {
        if (verdict === 'pass') next(req, res);
        else refuse(res, verdict);
      })
      .catch((error: unknown) => {
        options.logger?.warn({ err: (error as Error).message }, 'slack request guard failed; refused');
        refuse(res, 503);
      });
  };

  async function check(req: IncomingMessage, _res: ServerResponse): Promise<'pass' | 401 | 413> {
    let raw: Buffer;
    try {
      raw = (await HTTPModuleFunctions.bufferIncomingMessage(req, BODY_LIMIT)).rawBody;
    } catch {
      return 413;
    }
    const signature = header(req, 'x-slack-signature');
    const timestamp = header(req, 'x-slack-request-timestamp');
    if (!signature && !timestamp && /(^|&)ssl_check=1(&|$)/.test(raw.toString('utf8'))) return 'pass';
    if (!signature || !timestamp || !/^\d{1,12}$/.test(timestamp)) return deny('unsigned');
    if (Math.abs(Math.floor(now() / 1000) - Number(timestamp)) > MAX_SKEW_SECONDS) {
      return deny('timestamp more than 5 minutes away');
    }
    const expected = `v0=${createHmac('sha256', options.signingSecret).update(`v0:${timestamp}:`).update(raw).digest('hex')}`;
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, Buffer.from(expected))) {
      return deny('signature mismatch');
    }
    const key = `${options.prefix}:slack:seen:${createHash('sha256').update(signature).digest('hex')}`;
    await whenReady(options.redis, 2000);
    const fresh = await options.redis.set(key, '1', 'EX', SEEN_SECONDS, 'NX');
    if (fresh !== 'OK') return deny('replayed request');
    return 'pass';
  }

  function deny(reason: string): 401 {
    options.logger?.warn({ reason }, 'slack request refused');
    return 401;
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
}

function refuse(res: ServerResponse, status: number): void {
  if (res.headersSent) return;
  res.writeHead(status);
  res.end();
}
