/**
 * A test-only stand-in for RBAC: the sandbox has no authorizer, so tests that need the cluster
 * to refuse a caller something add a {@link Refusal} to `sandbox.refusals`. A request whose
 * impersonated user (`Impersonate-User`) or one of whose impersonated groups (`Impersonate-Group`)
 * matches, with the refusal's verb and resource, is answered 403 Forbidden with the Status
 * kube-apiserver's RBAC authorizer writes. Nothing else is authorized or refused.
 */
import type { IncomingMessage } from 'node:http';
import { StatusError } from '../../../../src/errors.ts';
import type { ResourceRoute } from './route.ts';

export interface Refusal {
  /** The impersonated user it applies to (exact), or any user when left out. */
  user?: string;
  /** An impersonated group it applies to (exact), or any groups when left out. */
  group?: string;
  /** `list`, `get`, `delete`…; `*` for every verb. */
  verb: string;
  /** The plural resource (`secrets`), or `*`. */
  resource: string;
}

function values(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** Throws Forbidden when a refusal matches this request. */
export function checkRefusals(
  refusals: readonly Refusal[],
  req: IncomingMessage,
  route: ResourceRoute,
): void {
  if (refusals.length === 0) return;
  const user = values(req.headers['impersonate-user'])[0];
  const groups = values(req.headers['impersonate-group']);
  const refused = refusals.find(
    (r) =>
      (r.verb === '*' || r.verb === route.verb) &&
      (r.resource === '*' || r.resource === route.type.resource) &&
      (r.user === undefined || r.user === user) &&
      (r.group === undefined || groups.includes(r.group)),
  );
  if (!refused) return;
  const where = route.namespace ? ` in the namespace "${route.namespace}"` : ' at the cluster scope';
  const who = user ?? 'system:anonymous';
  throw new StatusError(
    403,
    'Forbidden',
    `${route.type.resource} is forbidden: User "${who}" cannot ${route.verb} resource "${route.type.resource}" in API group "${route.type.group}"${where}`,
    { details: { kind: route.type.resource, ...(route.name ? { name: route.name } : {}) } },
  );
}
