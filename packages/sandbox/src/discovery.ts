/**
 * Legacy (unaggregated) discovery documents: `/api`, `/api/v1`, `/apis`, `/apis/<group>`,
 * `/apis/<group>/<version>`.
 *
 * kubectl 1.27+ first asks for aggregated discovery (`Accept: application/json;g=apidiscovery.k8s.io;
 * v=v2;as=APIGroupDiscoveryList,…,application/json`). client-go decides by the response's
 * Content-Type: a plain `application/json` answer is read as legacy discovery, after which it
 * fetches each group version. That is what the sandbox does, for every kubectl from 1.27 to 1.33.
 */
import { apiVersionOf, RESOURCE_TYPES, type ResourceType, servedGroups } from './resources.ts';

export function apiVersions(serverAddress: string): Record<string, unknown> {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function group(name: string, versions: string[]): Record<string, unknown> {
  const list = versions.map((version) => ({ groupVersion: `${name}/${version}`, version }));
  return { name, versions: list, preferredVersion: list[0] };
}

export function apiGroupList(): Record<string, unknown> {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: servedGroups().map((g) => group(g.group, g.versions)),
  };
}

/** `/apis/<name>`, or undefined for a group the sandbox does not serve. */
export function apiGroup(name: string): Record<string, unknown> | undefined {
  const served = servedGroups().find((g) => g.group === name);
  return served ? { kind: 'APIGroup', apiVersion: 'v1', ...group(served.group, served.versions) } : undefined;
}

function resourceEntries(type: ResourceType): Array<Record<string, unknown>> {
  const main: Record<string, unknown> = {
    name: type.resource,
    singularName: type.singular,
    namespaced: type.namespaced,
    kind: type.kind,
    verbs: type.verbs,
  };
  if (type.shortNames.length > 0) main['shortNames'] = type.shortNames;
  if (type.categories.length > 0) main['categories'] = type.categories;
  const subs = Object.entries(type.subresources).map(([sub, s]) => {
    const entry: Record<string, unknown> = {
      name: `${type.resource}/${sub}`,
      singularName: '',
      namespaced: type.namespaced,
      kind: s.kind || type.kind,
      verbs: s.verbs,
    };
    if (s.group) entry['group'] = s.group;
    if (s.version) entry['version'] = s.version;
    return entry;
  });
  return [main, ...subs];
}

/** `/api/v1` or `/apis/<group>/<version>`, or undefined when not served. */
export function apiResourceList(groupName: string, version: string): Record<string, unknown> | undefined {
  const types = RESOURCE_TYPES.filter((t) => t.group === groupName && t.version === version);
  if (types.length === 0) return undefined;
  const first = types[0];
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: first ? apiVersionOf(first) : version,
    resources: types.flatMap(resourceEntries),
  };
}
