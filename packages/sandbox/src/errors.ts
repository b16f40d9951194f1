/**
 * The Status errors the sandbox answers with, worded and shaped like kube-apiserver's
 * (k8s.io/apimachinery/pkg/api/errors), so kubectl prints exactly what it prints against a real
 * cluster: `Error from server (NotFound): pods "x" not found`.
 */
import { StatusError } from '../../../src/errors.ts';
import type { ResourceType } from './resources.ts';

/** `pods` for core, `deployments.apps` otherwise: how apiserver names a resource in messages. */
function qualified(type: Pick<ResourceType, 'group' | 'resource'>): string {
  return type.group ? `${type.resource}.${type.group}` : type.resource;
}

export function notFound(type: Pick<ResourceType, 'group' | 'resource'>, name: string): StatusError {
  return new StatusError(404, 'NotFound', `${qualified(type)} "${name}" not found`, {
    details: { name, group: type.group, kind: type.resource },
  });
}

export function alreadyExists(type: Pick<ResourceType, 'group' | 'resource'>, name: string): StatusError {
  return new StatusError(409, 'AlreadyExists', `${qualified(type)} "${name}" already exists`, {
    details: { name, group: type.group, kind: type.resource },
  });
}

export function conflict(type: Pick<ResourceType, 'group' | 'resource'>, name: string): StatusError {
  return new StatusError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(type)} "${name}": the object has been modified; ` +
      'please apply your changes to the latest version and try again',
    { details: { name, group: type.group, kind: type.resource } },
  );
}

/** One field problem, as in field.Error: `spec.containers: Required value`. */
export interface FieldCause {
  field: string;
  reason: 'FieldValueRequired' | 'FieldValueInvalid' | 'FieldValueNotSupported' | 'FieldValueDuplicate';
  message: string;
}

export function invalid(
  type: Pick<ResourceType, 'group' | 'kind'>,
  name: string,
  causes: FieldCause[],
): StatusError {
  const summary = causes.map((c) => `${c.field}: ${c.message}`).join(', ');
  const list = causes.length > 1 ? `[${summary}]` : summary;
  return new StatusError(422, 'Invalid', `${type.kind} "${name}" is invalid: ${list}`, {
    details: {
      name,
      group: type.group,
      kind: type.kind,
      causes: causes.map((c) => ({ reason: c.reason, message: c.message, field: c.field })),
    },
  });
}

export function badRequest(message: string): StatusError {
  return new StatusError(400, 'BadRequest', message);
}

export function methodNotAllowed(verb: string, what: string): StatusError {
  return new StatusError(405, 'MethodNotAllowed', `${verb} is not supported on ${what}`, {
    details: {},
  });
}

export function unsupportedMediaType(contentType: string): StatusError {
  return new StatusError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf (got ${contentType})`,
  );
}

export function expired(message: string): StatusError {
  return new StatusError(410, 'Gone', message);
}
