/**
 * The steps between a decoded request body and the store, for create and update: type and
 * namespace checks against the URL, generateName, clearing server-owned metadata, defaulting,
 * validation, and the status-subresource rule (writes to the main resource keep the stored status;
 * writes to `/status` change nothing but status).
 */
import { randomInt } from 'node:crypto';
import { badRequest } from '../errors.ts';
import type { ResourceRoute } from '../http/route.ts';
import { apiVersionOf, type ResourceType } from '../resources.ts';
import { defaultObject, runningPodStatus } from './defaults.ts';
import { clone, type KubeObject, metaOf } from './meta.ts';
import { validateObject } from './validate.ts';

/** The alphabet of generated name suffixes (k8s.io/apimachinery/pkg/util/rand: no vowels, no 0/1/3). */
const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export function randomSuffix(length = 5): string {
  let suffix = '';
  for (let i = 0; i < length; i++) suffix += SUFFIX_ALPHABET[randomInt(SUFFIX_ALPHABET.length)];
  return suffix;
}

/** Sets apiVersion/kind when absent; refuses a body of another type (400, as the apiserver does). */
function checkTypeMeta(type: ResourceType, object: KubeObject): void {
  const expected = apiVersionOf(type);
  const apiVersion = object['apiVersion'];
  const kind = object['kind'];
  if (apiVersion !== undefined && apiVersion !== expected) {
    throw badRequest(
      `the API version in the data (${String(apiVersion)}) does not match the expected API version (${expected})`,
    );
  }
  if (kind !== undefined && kind !== type.kind) {
    throw badRequest(
      `the kind in the data (${String(kind)}) does not match the expected kind (${type.kind})`,
    );
  }
  object['apiVersion'] = expected;
  object['kind'] = type.kind;
}

function checkNamespace(type: ResourceType, object: KubeObject, pathNamespace: string): void {
  const meta = metaOf(object);
  if (!type.namespaced) {
    delete meta.namespace;
    return;
  }
  if (meta.namespace && meta.namespace !== pathNamespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  meta.namespace = pathNamespace;
}

const SERVER_OWNED = [
  'uid',
  'resourceVersion',
  'creationTimestamp',
  'generation',
  'deletionTimestamp',
  'selfLink',
  'managedFields',
];

/** The object to store for a create at `pathNamespace`. Throws 400 or 422 Status errors. */
export function prepareCreate(type: ResourceType, pathNamespace: string, body: KubeObject): KubeObject {
  const object = clone(body);
  checkTypeMeta(type, object);
  checkNamespace(type, object, pathNamespace);
  const meta = metaOf(object);
  if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${randomSuffix()}`;
  for (const field of SERVER_OWNED) delete meta[field];
  defaultObject(object);
  validateObject(type, object);
  if (type.kind === 'Pod') object['status'] = runningPodStatus(object);
  return object;
}

/**
 * The object to store for an update (PUT, or the result of a patch) of `existing` at `route`.
 * The body's resourceVersion is kept so the store can refuse a stale write with 409 Conflict.
 */
export function prepareUpdate(route: ResourceRoute, existing: KubeObject, body: KubeObject): KubeObject {
  const { type } = route;
  const object = clone(body);
  checkTypeMeta(type, object);
  const meta = metaOf(object);
  if (meta.name !== undefined && meta.name !== route.name) {
    throw badRequest(
      `the name of the object (${meta.name}) does not match the name on the URL (${route.name})`,
    );
  }
  meta.name = route.name;
  checkNamespace(type, object, route.namespace);
  if (route.subresource === 'status') {
    const updated = clone(existing);
    updated['status'] = object['status'];
    metaOf(updated).resourceVersion = meta.resourceVersion;
    return updated;
  }
  if (type.hasStatus) object['status'] = clone(existing['status']);
  defaultObject(object);
  validateObject(type, object);
  return object;
}
