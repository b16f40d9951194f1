import type { AffectedKind, ImpactPreview } from '../../../src/approvals/impact.types.ts';
import { isJsonObject, type JsonObject } from '../../../src/masking/mask-core.ts';
import type { RequestInfo } from '../../../src/request/request-info.types.ts';
import { collectionPath, type ListedKind, listedKind, NAMESPACED_KINDS } from './namespace-kinds.ts';
import { answerProblem, type UpstreamCaller } from './upstream-call.ts';

/**
 * What a delete would remove, listed as the agent:
 * - a namespace: every object of the common namespaced kinds (namespace-kinds.ts) in it;
 * - a workload (Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob): itself, and what
 *   it owns through ownerReferences (replica sets, jobs, pods), unless the delete orphans them;
 * - anything else: the object itself;
 * - deletecollection: the objects the request's selectors select.
 * A kind the agent may not list (403) is left out and only counted (`unlistable`): the preview
 * shows nothing the agent could not read, and is then not complete.
 */

const LIST_LIMIT = 500;
const NAMES_SHOWN = 5;

/** Dependents each workload kind owns, to the pods at the end of the chain. */
const OWNED: Record<string, readonly string[]> = {
  deployments: ['replicasets', 'pods'],
  replicasets: ['pods'],
  statefulsets: ['pods'],
  daemonsets: ['pods'],
  jobs: ['pods'],
  cronjobs: ['jobs', 'pods'],
};

interface Listing {
  kind: ListedKind;
  items: JsonObject[];
  atLeast: boolean;
}

type ListResult = Listing | 'forbidden' | 'not-served';

export async function previewDelete(
  call: UpstreamCaller,
  info: RequestInfo,
  options: { path: string; query: string; body: Buffer | undefined },
): Promise<Omit<ImpactPreview, 'tookMs'>> {
  const problems: string[] = [];
  let unlistable = 0;
  const affected: AffectedKind[] = [];
  const note = (result: ListResult): Listing | undefined => {
    if (result === 'forbidden') unlistable++;
    return typeof result === 'string' ? undefined : result;
  };

  if (info.resource === 'namespaces' && info.apiGroup === '' && info.verb === 'delete') {
    const results = await Promise.all(NAMESPACED_KINDS.map((kind) => list(call, kind, info.name, '')));
    for (const result of results) {
      const listing = note(result);
      if (listing && listing.items.length > 0) affected.push(summarise(listing, listing.items));
    }
  } else {
    const own = listedKind(info.apiGroup, info.resource) ?? {
      group: info.apiGroup,
      version: info.apiVersion,
      resource: info.resource,
      kind: info.resource,
    };
    if (info.verb === 'deletecollection') {
      const listing = note(await list(call, own, info.namespace, selectors(options.query)));
      if (listing) affected.push(summarise(listing, listing.items));
    } else {
      const target = await call({ method: 'GET', path: options.path });
      if (target.status !== 200 || !isJsonObject(target.json)) {
        const problem = `could not read the object as the agent: ${answerProblem(target, { withMessage: true })}`;
        return { kind: 'delete', complete: false, problems: [problem] };
      } else {
        affected.push(summarise({ kind: own, items: [target.json], atLeast: false }, [target.json]));
        if (!orphans(options)) {
          const owned = await dependents(call, own, info.namespace, target.json, note);
          affected.push(...owned);
        }
      }
    }
  }
  if (unlistable > 0) {
    problems.push(
      `${unlistable} kind${unlistable === 1 ? '' : 's'} could not be listed as the agent and are not shown`,
    );
  }
  if (affected.some((a) => a.atLeast))
    problems.push('some lists were longer than the preview reads; counts are lower bounds');
  affected.sort((a, b) => b.count - a.count || a.kind.localeCompare(b.kind));
  const complete = problems.length === 0;
  return { kind: 'delete', complete, problems, affected, ...(unlistable > 0 ? { unlistable } : {}) };
}

/** Lists one kind in one namespace (first page only), or says why not. */
async function list(
  call: UpstreamCaller,
  kind: ListedKind,
  namespace: string,
  selector: string,
): Promise<ListResult> {
  const query = `limit=${LIST_LIMIT}${selector ? `&${selector}` : ''}`;
  const answer = await call({ method: 'GET', path: collectionPath(kind, namespace), query });
  if (answer.status === 403) return 'forbidden';
  if (answer.status === 404) return 'not-served';
  if (answer.status !== 200 || !isJsonObject(answer.json)) {
    throw new Error(`listing ${kind.resource}: ${answerProblem(answer, { withMessage: true })}`);
  }
  const items = Array.isArray(answer.json['items']) ? answer.json['items'].filter(isJsonObject) : [];
  const meta = isJsonObject(answer.json['metadata']) ? answer.json['metadata'] : {};
  const remaining = typeof meta['remainingItemCount'] === 'number' ? meta['remainingItemCount'] : 0;
  const more = typeof meta['continue'] === 'string' && meta['continue'] !== '';
  const padded = remaining > 0 ? [...items, ...Array<JsonObject>(remaining).fill({})] : items;
  return { kind, items: padded, atLeast: more && remaining === 0 };
}

/** The objects of the kinds `owner` owns, transitively through ownerReferences (uids). */
async function dependents(
  call: UpstreamCaller,
  owner: ListedKind,
  namespace: string,
  object: JsonObject,
  note: (result: ListResult) => Listing | undefined,
): Promise<AffectedKind[]> {
  const chain = OWNED[owner.resource];
  if (!chain) return [];
  const owners = new Set([uidOf(object)]);
  const found: AffectedKind[] = [];
  for (const resource of chain) {
    const kind = NAMESPACED_KINDS.find((k) => k.resource === resource);
    if (!kind) continue;
    const listing = note(await list(call, kind, namespace, ''));
    if (!listing) continue;
    const owned = listing.items.filter((item) => ownerUids(item).some((uid) => owners.has(uid)));
    for (const item of owned) owners.add(uidOf(item));
    if (owned.length > 0) found.push(summarise({ ...listing, atLeast: false }, owned));
  }
  return found;
}

function summarise(listing: Listing, items: JsonObject[]): AffectedKind {
  const names = items
    .map((item) => (isJsonObject(item['metadata']) ? item['metadata']['name'] : undefined))
    .filter((name): name is string => typeof name === 'string')
    .sort()
    .slice(0, NAMES_SHOWN);
  const entry: AffectedKind = {
    kind: listing.kind.kind,
    resource: listing.kind.resource,
    count: items.length,
    names,
  };
  if (listing.atLeast) entry.atLeast = true;
  return entry;
}

function uidOf(object: JsonObject): string {
  const meta = object['metadata'];
  return isJsonObject(meta) && typeof meta['uid'] === 'string' ? meta['uid'] : '';
}

function ownerUids(object: JsonObject): string[] {
  const meta = object['metadata'];
  const refs = isJsonObject(meta) && Array.isArray(meta['ownerReferences']) ? meta['ownerReferences'] : [];
  return refs.filter(isJsonObject).map((ref) => (typeof ref['uid'] === 'string' ? ref['uid'] : ''));
}

/** The request's label and field selectors, as a query. */
function selectors(query: string): string {
  const params = new URLSearchParams(query);
  const kept = new URLSearchParams();
  for (const name of ['labelSelector', 'fieldSelector']) {
    const value = params.get(name);
    if (value) kept.set(name, value);
  }
  return kept.toString();
}

/** Whether the delete leaves dependents behind (`propagationPolicy: Orphan`, or `orphanDependents`). */
function orphans(options: { query: string; body: Buffer | undefined }): boolean {
  const params = new URLSearchParams(options.query);
  if (params.get('propagationPolicy') === 'Orphan' || params.get('orphanDependents') === 'true') return true;
  if (!options.body || options.body.length === 0) return false;
  try {
    const body: unknown = JSON.parse(options.body.toString('utf8'));
    if (!isJsonObject(body)) return false;
    return body['propagationPolicy'] === 'Orphan' || body['orphanDependents'] === true;
  } catch {
    return false;
  }
}
