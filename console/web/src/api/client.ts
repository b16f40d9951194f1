import type { ApiError } from '../../../api.types.ts';

/**
 * A failed API call, with a message written for people. The server answers errors as a
 * Kubernetes-style Status; anything else (a proxy's HTML page, a dropped connection) becomes a
 * message of our own, so a page never shows a stack trace or raw markup.
 */
export class ApiFailure extends Error {
  readonly status: number;
  readonly reason: string;

  constructor(status: number, reason: string, message: string) {
    super(message);
    this.name = 'ApiFailure';
    this.status = status;
    this.reason = reason;
  }
}

function isStatus(value: unknown): value is ApiError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as ApiError).kind === 'Status' &&
    typeof (value as ApiError).message === 'string'
  );
}

async function failure(response: Response): Promise<ApiFailure> {
  const text = await response.text().catch(() => '');
  try {
    const body: unknown = JSON.parse(text);
    if (isStatus(body)) return new ApiFailure(response.status, body.reason, body.message);
  } catch {
    // Not JSON: described below by its status.
  }
  const what = response.statusText ? `${response.status} ${response.statusText}` : String(response.status);
  return new ApiFailure(response.status, 'Unknown', `The console answered ${what}.`);
}

async function send(path: string, init: RequestInit): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(path, { credentials: 'same-origin', ...init });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiFailure(
      0,
      'Unreachable',
      'The console could not be reached. Check your connection and retry.',
    );
  }
  if (!response.ok) throw await failure(response);
  return response;
}

/** GET a JSON document from the console's API. */
export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const response = await send(path, {
    headers: { accept: 'application/json' },
    ...(signal ? { signal } : {}),
  });
  return (await response.json()) as T;
}

/** GET a text document (an asciicast). */
export async function getText(path: string, signal?: AbortSignal): Promise<string> {
  const response = await send(path, signal ? { signal } : {});
  return response.text();
}

/** POST JSON with the CSRF token the server handed out in `/api/v1/me`. */
export async function postJson<T>(path: string, body: unknown, csrfToken: string): Promise<T> {
  const response = await send(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': csrfToken },
    body: JSON.stringify(body ?? {}),
  });
  return (await response.json()) as T;
}
