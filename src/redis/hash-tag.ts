/**
 * Redis Cluster hash tags. A cluster routes a key by the slot of its name, or of the part between
 * the first `{` and the following `}` when there is one: keys that share that part share a slot,
 * so one script or MULTI may touch them all. The stores tag their keys only on a cluster, so a
 * single Redis or a Sentinel-managed one keeps the key names deployments already have.
 */

const TAG = /\{[^}]+\}/;

/** Whether `name` holds a hash tag (a non-empty `{…}`). */
export function hasHashTag(name: string): boolean {
  return TAG.test(name);
}

/** `prefix` as a hash tag (`{prefix}`), unless it already holds one (which then decides the slot). */
export function withHashTag(prefix: string): string {
  return hasHashTag(prefix) ? prefix : `{${prefix}}`;
}
