/**
 * The `scale` subresource of deployments (autoscaling/v1 Scale): GET reads spec.replicas and the
 * observed replica count; PUT and PATCH (merge, strategic or JSON patch against the Scale) set
 * spec.replicas on the deployment, which the deployment controller then acts on. This is what
 * `kubectl scale` talks to.
 */
import { badRequest } from '../errors.ts';
import { decodeObjectBody, mediaTypeOf, parseText, readBody } from '../http/body.ts';
import type { HandlerContext } from '../http/context.ts';
import { sendJson } from '../http/respond.ts';
import { isRecord, type KubeObject, metaOf, recordAt } from '../objects/meta.ts';
import { applyJsonPatch } from '../patch/json-patch.ts';
import { applyMergePatch } from '../patch/merge-patch.ts';
import { formatLabelSelector, fromLabelSelectorObject } from '../store/selectors.ts';
import { loadNamed } from './read.ts';
import { storeUpdate } from './write.ts';

function scaleOf(object: KubeObject): KubeObject {
  const meta = metaOf(object);
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: meta.name,
      namespace: meta.namespace,
      uid: meta.uid,
      resourceVersion: meta.resourceVersion,
      creationTimestamp: meta.creationTimestamp,
    },
    spec: { replicas: recordAt(object, 'spec')?.['replicas'] ?? 0 },
    status: {
      replicas: recordAt(object, 'status')?.['replicas'] ?? 0,
      selector: formatLabelSelector(fromLabelSelectorObject(recordAt(object, 'spec', 'selector'))),
    },
  };
}

export async function handleScale(ctx: HandlerContext): Promise<void> {
  const live = loadNamed(ctx);
  if (ctx.route.verb === 'get') {
    sendJson(ctx.res, 200, scaleOf(live));
    return;
  }
  const body = await readBody(ctx.req);
  const current = scaleOf(live);
  let desired: unknown;
  if (ctx.route.verb === 'update') desired = decodeObjectBody(body, ctx.req.headers['content-type']);
  else if (mediaTypeOf(ctx.req.headers['content-type']) === 'application/json-patch+json') {
    desired = applyJsonPatch(current, parseText(body, false));
  } else desired = applyMergePatch(current, parseText(body, false));
  const replicas = recordAt(desired, 'spec')?.['replicas'];
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw badRequest('Scale.spec.replicas must be a non-negative integer');
  }
  const updated = structuredClone(live);
  const spec = isRecord(updated['spec']) ? updated['spec'] : {};
  spec['replicas'] = replicas;
  updated['spec'] = spec;
  const rv = metaOf(desired as KubeObject).resourceVersion;
  metaOf(updated).resourceVersion = rv ?? metaOf(live).resourceVersion;
  const route = { ...ctx.route, subresource: '' };
  sendJson(ctx.res, 200, scaleOf(storeUpdate({ ...ctx, route }, live, updated)));
}
