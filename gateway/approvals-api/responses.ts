import { badRequest, type KubeStatus, StatusError } from '../../src/errors.ts';
import { readBody } from '../request-body.ts';
import type { AgentRequest, AgentResponse } from '../request-context.ts';
import { statusFromError, writeStatus } from '../respond/status.ts';

/**
 * JSON in and out for the approvals API: bodies read under a small cap and parsed as an object,
 * answers written as JSON, errors as Kubernetes Status objects (the same writer the pipeline
 * uses), so a client reads every failure the same way.
 */
const MAX_BODY_BYTES = 16 * 1024;

export function writeJson(res: AgentResponse, code: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(code, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
}

export function writeError(res: AgentResponse, error: unknown): KubeStatus {
  const { status, headers } = statusFromError(error);
  writeStatus(res, status, headers);
  return status;
}

/** The request body as a JSON object; an empty body is `{}`. */
export async function readJsonObject(req: AgentRequest): Promise<Record<string, unknown>> {
  const bytes = await readBody(req, {
    maxBytes: MAX_BODY_BYTES,
    tooLarge: 'the most the approvals API accepts; send { reason, window } only.',
  });
  if (bytes.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw badRequest('the request body is not JSON; send {"reason": "…", "window": "15m"}');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badRequest('the request body must be a JSON object such as {"reason": "…"}');
  }
  return value as Record<string, unknown>;
}

export const notFoundError = (message: string): StatusError => new StatusError(404, 'NotFound', message);
export const conflictError = (message: string): StatusError => new StatusError(409, 'Conflict', message);
export const goneError = (message: string): StatusError => new StatusError(410, 'Gone', message);
