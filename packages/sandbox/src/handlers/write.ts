/**
 * create (POST), update (PUT), delete and deletecollection, with the apiserver's answers: 201 and
 * the stored object for create, 200 for update, and for delete the object (pods, namespaces) or a
 * `Status` of `Success` (everything else). `dryRun=All` runs every check and stores nothing.
 *
 * Deleting a namespace deletes everything in it first (the namespace controller's job, done
 * synchronously here so a following create in a fresh namespace of the same name starts clean).
 */
import { StatusError } from '../../../../src/errors.ts';
import { alreadyExists, conflict, notFound } from '../errors.ts';
import { decodeObjectBody, readBody } from '../http/body.ts';
import { type HandlerContext, isDryRun } from '../http/context.ts';
import { sendJson, successStatus } from '../http/respond.ts';
import { prepareCreate, prepareUpdate } from '../objects/admit.ts';
import { isRecord, type KubeObject, metaOf, recordAt, timestamp } from '../objects/meta.ts';
import { RESOURCE_TYPES, resourceTypeNamed } from '../resources.ts';
import { listBody, loadNamed, selectedObjects } from './read.ts';

/** Namespaces the apiserver refuses to delete. */
const PROTECTED_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);

/** Kinds whose delete answers with the object rather than a Status (graceful or finalized kinds). */
const RETURNS_OBJECT = new Set(['Pod', 'Namespace']);

export async function handleCreate(ctx: HandlerContext): Promise<void> {
  const { route, cluster, query, req } = ctx;
  const body = decodeObjectBody(await readBody(req), req.headers['content-type']);
  const object = prepareCreate(route.type, route.namespace, body);
  if (route.type.namespaced && !cluster.store.get('namespaces', '', route.namespace)) {
    throw notFound(resourceTypeNamed('namespaces'), route.namespace);
  }
  if (isDryRun(query)) {
    const name = metaOf(object).name ?? '';
    if (cluster.store.get(route.type.resource, route.namespace, name)) throw alreadyExists(route.type, name);
    metaOf(object).creationTimestamp = timestamp();
    sendJson(ctx.res, 201, object);
    return;
  }
  sendJson(ctx.res, 201, cluster.store.create(route.type.resource, object));
}

/** Stores `object` as the new state of the route's object (or only validates, for a dry run). */
export function storeUpdate(ctx: HandlerContext, existing: KubeObject, object: KubeObject): KubeObject {
  const prepared = prepareUpdate(ctx.route, existing, object);
  if (!isDryRun(ctx.query)) return ctx.cluster.store.replace(ctx.route.type.resource, prepared);
  const rv = metaOf(prepared).resourceVersion;
  if (rv && rv !== metaOf(existing).resourceVersion) throw conflict(ctx.route.type, ctx.route.name);
  return prepared;
}

export async function handleUpdate(ctx: HandlerContext): Promise<void> {
  const { req } = ctx;
  const body = decodeObjectBody(await readBody(req), req.headers['content-type']);
  const existing = loadNamed(ctx);
  sendJson(ctx.res, 200, storeUpdate(ctx, existing, body));
}

/** Checks DeleteOptions.preconditions (uid, resourceVersion) against the live object. */
async function checkPreconditions(ctx: HandlerContext, existing: KubeObject): Promise<void> {
  const raw = await readBody(ctx.req);
  if (raw.length === 0) return;
  let options: unknown;
  try {
    options = JSON.parse(raw.toString('utf8'));
  } catch {
    return; // protobuf or malformed DeleteOptions: nothing here depends on them
  }
  const pre = recordAt(options, 'preconditions');
  const meta = metaOf(existing);
  if (!isRecord(pre)) return;
  if (
    (pre['uid'] && pre['uid'] !== meta.uid) ||
    (pre['resourceVersion'] && pre['resourceVersion'] !== meta.resourceVersion)
  ) {
    throw conflict(ctx.route.type, ctx.route.name);
  }
}

/** Deletes every namespaced object in `namespace` (not the namespace itself). */
function emptyNamespace(ctx: HandlerContext, namespace: string): void {
  for (const type of RESOURCE_TYPES.filter((t) => t.namespaced)) {
    for (const object of ctx.cluster.store.list(type.resource, namespace)) {
      ctx.cluster.store.delete(type.resource, namespace, metaOf(object).name ?? '');
    }
  }
}

function deleteOne(ctx: HandlerContext, object: KubeObject): KubeObject {
  const { route, cluster } = ctx;
  const name = metaOf(object).name ?? '';
  if (isDryRun(ctx.query)) return object;
  if (route.type.resource === 'namespaces') emptyNamespace(ctx, name);
  const gone = cluster.store.delete(
    route.type.resource,
    route.type.namespaced ? (metaOf(object).namespace ?? '') : '',
    name,
  );
  metaOf(gone).deletionTimestamp = timestamp();
  if (route.type.resource === 'namespaces') gone['status'] = { phase: 'Terminating' };
  return gone;
}

export async function handleDelete(ctx: HandlerContext): Promise<void> {
  const { route } = ctx;
  const existing = loadNamed(ctx);
  if (route.type.resource === 'namespaces' && PROTECTED_NAMESPACES.has(route.name)) {
    throw new StatusError(
      403,
      'Forbidden',
      `namespaces "${route.name}" is forbidden: this namespace may not be deleted`,
      {
        details: { name: route.name, kind: 'namespaces' },
      },
    );
  }
  await checkPreconditions(ctx, existing);
  const gone = deleteOne(ctx, existing);
  if (RETURNS_OBJECT.has(route.type.kind)) {
    sendJson(ctx.res, 200, gone);
    return;
  }
  const meta = metaOf(gone);
  sendJson(
    ctx.res,
    200,
    successStatus({
      name: meta.name ?? '',
      group: route.type.group,
      kind: route.type.resource,
      uid: meta.uid,
    }),
  );
}

export async function handleDeleteCollection(ctx: HandlerContext): Promise<void> {
  await readBody(ctx.req);
  const deleted = selectedObjects(ctx).map((object) => deleteOne(ctx, object));
  sendJson(
    ctx.res,
    200,
    listBody(ctx.route.type, deleted, { resourceVersion: ctx.cluster.store.resourceVersion }),
  );
}
