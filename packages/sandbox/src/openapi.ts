/**
 * A minimal OpenAPI v3 surface. kubectl (create -f, apply, replace) asks `/openapi/v3` whether
 * the server supports the `fieldValidation` query parameter for a kind before it sends one: it
 * looks for the kind's PATCH operation (tagged `x-kubernetes-group-version-kind`) and the
 * parameter in it. Without an answer it falls back to `/openapi/v2` and fails when that is
 * missing too. So each group version's document lists, per kind, a PATCH operation with the
 * parameters the sandbox honours, and nothing else: no schemas (so `kubectl explain` does not
 * work) and no strategic-merge request body (so client-side apply computes its patch from
 * kubectl's built-in types, as it does for any server without schemas).
 */
import { RESOURCE_TYPES, type ResourceType } from './resources.ts';

/** `api/v1`, `apis/apps/v1`: the keys of the `/openapi/v3` index. */
function documentKey(type: Pick<ResourceType, 'group' | 'version'>): string {
  return type.group ? `apis/${type.group}/${type.version}` : `api/${type.version}`;
}

function hash(kubeVersion: string): string {
  return Buffer.from(`sandbox-${kubeVersion}`).toString('hex').toUpperCase();
}

/** The `/openapi/v3` index: one entry per served group version. */
export function openApiIndex(kubeVersion: string): Record<string, unknown> {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const type of RESOURCE_TYPES) {
    const key = documentKey(type);
    paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hash(kubeVersion)}` };
  }
  return { paths };
}

const queryParameter = (name: string, description: string): Record<string, unknown> => ({
  name,
  in: 'query',
  description,
  schema: { type: 'string', uniqueItems: true },
});

function patchOperation(type: ResourceType): Record<string, unknown> {
  return {
    description: `partially update the specified ${type.kind}`,
    operationId: `patch${type.kind}`,
    parameters: [
      queryParameter('dryRun', 'When present, indicates that modifications should not be persisted.'),
      queryParameter(
        'fieldManager',
        'fieldManager is a name associated with the actor or entity that is making these changes.',
      ),
      queryParameter(
        'fieldValidation',
        'fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields.',
      ),
      queryParameter('force', 'Force is going to "force" Apply requests.'),
    ],
    responses: { '200': { description: 'OK' } },
    'x-kubernetes-action': 'patch',
    'x-kubernetes-group-version-kind': { group: type.group, version: type.version, kind: type.kind },
  };
}

/** The document for `key` (`api/v1`, `apis/apps/v1`), or undefined when not served. */
export function openApiDocument(key: string, kubeVersion: string): Record<string, unknown> | undefined {
  const types = RESOURCE_TYPES.filter((t) => documentKey(t) === key);
  if (types.length === 0) return undefined;
  const paths: Record<string, unknown> = {};
  for (const type of types) {
    const base = `/${documentKey(type)}${type.namespaced ? '/namespaces/{namespace}' : ''}/${type.resource}/{name}`;
    paths[base] = { patch: patchOperation(type) };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: `v${kubeVersion}.0` },
    paths,
    components: { schemas: {} },
  };
}
