/**
 * Kubernetes `Status` objects: every error the gateway returns to an API caller is one of these,
 * so kubectl prints `Error from server (<Reason>): <message>`.
 *
 * Messages are written for an AI agent as much as for a person: what happened, why, what next.
 */

/** The `reason` values kube-apiserver uses that the gateway can return. */
export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Invalid'
  | 'TooManyRequests'
  | 'RequestEntityTooLarge'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'Timeout'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'UnsupportedMediaType'
  | 'Gone'
  | 'BadGateway';

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  retryAfterSeconds?: number;
  causes?: Array<{ reason?: string; message?: string; field?: string }>;
}

export interface KubeStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: StatusReason;
  details?: StatusDetails;
  code: number;
}

export function kubeStatus(
  code: number,
  reason: StatusReason,
  message: string,
  details?: StatusDetails,
): KubeStatus {
  const status: KubeStatus = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  };
  if (details) status.details = details;
  return status;
}

/**
 * An error that knows the Status it becomes. Throw it anywhere in the request path; one place
 * (gateway/respond/status.ts) turns it into a response.
 */
export class StatusError extends Error {
  readonly code: number;
  readonly reason: StatusReason;
  readonly details: StatusDetails | undefined;
  readonly headers: Record<string, string>;
  /**
   * Answer with the message as `text/plain` instead of a Status body. Only for what client-go
   * reads as raw bytes (discovery), where a Status's message is never shown but a text body's is.
   */
  readonly plainText: boolean;

  constructor(
    code: number,
    reason: StatusReason,
    message: string,
    options: {
      details?: StatusDetails;
      headers?: Record<string, string>;
      cause?: unknown;
      plainText?: boolean;
    } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'StatusError';
    this.code = code;
    this.reason = reason;
    this.details = options.details;
    this.headers = options.headers ?? {};
    this.plainText = options.plainText ?? false;
  }

  toStatus(): KubeStatus {
    return kubeStatus(this.code, this.reason, this.message, this.details);
  }
}

export const badRequest = (message: string): StatusError => new StatusError(400, 'BadRequest', message);
export const unauthorized = (message: string): StatusError => new StatusError(401, 'Unauthorized', message);
export const forbidden = (message: string): StatusError => new StatusError(403, 'Forbidden', message);
export const badGateway = (message: string): StatusError => new StatusError(502, 'InternalError', message);
export const serviceUnavailable = (message: string): StatusError =>
  new StatusError(503, 'ServiceUnavailable', message);
export const gatewayTimeout = (message: string): StatusError => new StatusError(504, 'Timeout', message);

/** A configuration or policy file problem; the message names the field. */
export class ConfigError extends Error {
  readonly field: string;
  /** What is wrong with the field: the message without the field in front. */
  readonly problem: string;
  constructor(field: string, problem: string) {
    super(`${field}: ${problem}`);
    this.name = 'ConfigError';
    this.field = field;
    this.problem = problem;
  }

  /**
   * The same problem, its field placed inside `prefix` (written with its separator, e.g.
   * `authentication.` or `hoop.yaml: `): a section validated on its own reports where it sits.
   */
  within(prefix: string): ConfigError {
    return new ConfigError(`${prefix}${this.field}`, this.problem);
  }
}
