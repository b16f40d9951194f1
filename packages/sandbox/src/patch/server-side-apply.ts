/**
 * Server-side apply (`application/apply-patch+yaml`), close enough for `kubectl apply
 * --server-side` to create and update objects:
 *
 * - the applied configuration must name the route's object and be of its type;
 * - no live object: the configuration is created as is;
 * - live object: the configuration is merged over it with strategic-merge semantics, then the
 *   fields this field manager applied last time and no longer applies are removed.
 *
 * Not modelled: managedFields, and conflicts between managers (`force` is accepted and ignored), so
 * one manager never gets a 409 for a field another set.
 */
import { badRequest } from '../errors.ts';
import { isRecord, type KubeObject, metaOf } from '../objects/meta.ts';
import { applyStrategicMergePatch, removalsBetween } from './strategic-merge.ts';

/** Field manager → last applied configuration, for one object. */
export type AppliedByManager = Map<string, Record<string, unknown>>;

export interface ApplyInput {
  /** The decoded apply configuration. */
  config: unknown;
  /** The route's object name. */
  name: string;
  /** `fieldManager` query parameter (required for apply). */
  manager: string;
}

/** Validates the configuration and returns it as an object (400 on a misdirected apply). */
export function checkApplyConfig(input: ApplyInput): KubeObject {
  if (!input.manager)
    throw badRequest('PATCH, PUT, and POST requests are required to have a fieldManager for apply requests');
  if (!isRecord(input.config)) throw badRequest('apply configuration must be an object');
  const config = input.config;
  if (typeof config['apiVersion'] !== 'string' || typeof config['kind'] !== 'string') {
    throw badRequest('invalid object type: apply configuration needs apiVersion and kind');
  }
  const name = metaOf(config).name;
  if (name !== undefined && name !== input.name) {
    throw badRequest(`the name of the object (${name}) does not match the name on the URL (${input.name})`);
  }
  metaOf(config).name = input.name;
  return config;
}

/** The live object after `manager` applies `config` (neither argument is modified). */
export function mergeApplied(
  live: KubeObject,
  config: KubeObject,
  previous: Record<string, unknown> | undefined,
): KubeObject {
  const merged = applyStrategicMergePatch(live, config) as KubeObject;
  const removals = previous ? removalsBetween(previous, config) : undefined;
  const result = (removals ? applyStrategicMergePatch(merged, removals) : merged) as KubeObject;
  // The manager's configuration does not carry resourceVersion; keep the live one for the store.
  metaOf(result).resourceVersion = metaOf(live).resourceVersion;
  return result;
}
