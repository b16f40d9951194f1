/**
 * PATCH in the four patch types the apiserver accepts, chosen by Content-Type:
 * `application/json-patch+json`, `application/merge-patch+json`,
 * `application/strategic-merge-patch+json` and `application/apply-patch+yaml` (server-side apply,
 * which may also create). Patches to `/status` change status only. Any other type is 415.
 */
import { StatusError } from '../../../../src/errors.ts';
import { notFound } from '../errors.ts';
import { mediaTypeOf, parseText, readBody } from '../http/body.ts';
import { type HandlerContext, isDryRun } from '../http/context.ts';
import { sendJson } from '../http/respond.ts';
import { prepareCreate } from '../objects/admit.ts';
import { type KubeObject, metaOf } from '../objects/meta.ts';
import { applyJsonPatch } from '../patch/json-patch.ts';
import { applyMergePatch } from '../patch/merge-patch.ts';
import { checkApplyConfig, mergeApplied } from '../patch/server-side-apply.ts';
import { applyStrategicMergePatch } from '../patch/strategic-merge.ts';
import { resourceTypeNamed } from '../resources.ts';
import { storeUpdate } from './write.ts';

const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/apply-patch+yaml',
  'application/strategic-merge-patch+json',
];

function unsupportedPatch(contentType: string): StatusError {
  return new StatusError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.join(', ')} (got ${contentType})`,
  );
}

/** Server-side apply: create when absent, else merge and drop what this manager stopped applying. */
function apply(ctx: HandlerContext, body: Buffer): { code: number; object: KubeObject } {
  const { route, cluster, query } = ctx;
  const manager = query.get('fieldManager') ?? '';
  const config = checkApplyConfig({ config: parseText(body, true), name: route.name, manager });
  const live = cluster.store.get(route.type.resource, route.namespace, route.name);
  let stored: KubeObject;
  let code = 200;
  if (!live) {
    if (route.subresource) throw notFound(route.type, route.name);
    const object = prepareCreate(route.type, route.namespace, config);
    if (route.type.namespaced && !cluster.store.get('namespaces', '', route.namespace)) {
      throw notFound(resourceTypeNamed('namespaces'), route.namespace);
    }
    stored = isDryRun(query) ? object : cluster.store.create(route.type.resource, object);
    code = 201;
  } else {
    const previous = cluster.applied.get(metaOf(live).uid ?? '')?.get(manager);
    stored = storeUpdate(ctx, live, mergeApplied(live, config, previous));
  }
  if (!isDryRun(query)) {
    const uid = metaOf(stored).uid ?? '';
    const managers = cluster.applied.get(uid) ?? new Map();
    managers.set(manager, config);
    cluster.applied.set(uid, managers);
  }
  return { code, object: stored };
}

export async function handlePatch(ctx: HandlerContext): Promise<void> {
  const contentType = ctx.req.headers['content-type'] ?? '';
  const media = mediaTypeOf(contentType);
  if (!PATCH_TYPES.includes(media)) throw unsupportedPatch(contentType);
  const body = await readBody(ctx.req);
  if (media === 'application/apply-patch+yaml') {
    const { code, object } = apply(ctx, body);
    sendJson(ctx.res, code, object);
    return;
  }
  const patch = parseText(body, false);
  const live = ctx.cluster.store.get(ctx.route.type.resource, ctx.route.namespace, ctx.route.name);
  if (!live) throw notFound(ctx.route.type, ctx.route.name);
  let patched: unknown;
  if (media === 'application/json-patch+json') patched = applyJsonPatch(live, patch);
  else if (media === 'application/merge-patch+json') patched = applyMergePatch(live, patch);
  else patched = applyStrategicMergePatch(live, patch);
  sendJson(ctx.res, 200, storeUpdate(ctx, live, patched as KubeObject));
}
