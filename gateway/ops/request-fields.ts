import type { RequestContext } from '../request-context.ts';

/**
 * The fields every log line about one request carries, so the lines of a request (and of its
 * session) can be found together: the request id (also in the `X-Request-Id` and `Audit-Id`
 * response headers), the recording session, the client address and the agent. Built only when a
 * line is written; a per-request pino child logger would cost every request an allocation.
 */
export function requestFields(ctx: RequestContext): {
  requestId: string;
  session: string | undefined;
  client: string | undefined;
  agent: string | undefined;
} {
  return {
    requestId: ctx.id,
    session: ctx.recording?.sessionId,
    client: ctx.req.socket?.remoteAddress, // none once a request was destroyed mid-body
    agent: ctx.caller?.subject,
  };
}

/** An error as one readable line for a log field: its message, never its stack. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
