/**
 * get and list: one object or a collection, as JSON or as a Table (server-side printing), with
 * label and field selectors and `limit`/`continue` paging. Lists report the store's current
 * resourceVersion, which `kubectl get -w` then watches from.
 */
import { badRequest, notFound } from '../errors.ts';
import type { HandlerContext } from '../http/context.ts';
import { sendJson } from '../http/respond.ts';
import { clone, type KubeObject, metaOf } from '../objects/meta.ts';
import { apiVersionOf, type ResourceType } from '../resources.ts';
import { matchesSelectors, parseFieldSelector, parseLabelSelector } from '../store/selectors.ts';
import { negotiateShape, parseIncludeObject, partialMetadata, toTable } from '../tables/table.ts';

/** The objects a list or watch request selects, from the route's namespace (or all). */
export function selectedObjects(ctx: Pick<HandlerContext, 'route' | 'query' | 'cluster'>): KubeObject[] {
  const { route, query, cluster } = ctx;
  const labels = parseLabelSelector(query.get('labelSelector') ?? '');
  const fields = parseFieldSelector(query.get('fieldSelector') ?? '');
  const namespace = route.type.namespaced && route.namespace ? route.namespace : undefined;
  return cluster.store
    .list(route.type.resource, namespace)
    .filter((o) => matchesSelectors(o, labels, fields));
}

/** Loads the object a route names, or throws NotFound. */
export function loadNamed(ctx: HandlerContext): KubeObject {
  const { route, cluster } = ctx;
  const found = cluster.store.get(route.type.resource, route.namespace, route.name);
  if (!found) throw notFound(route.type, route.name);
  return found;
}

interface ContinueToken {
  after: string;
}

function decodeContinue(token: string): ContinueToken {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as ContinueToken;
    if (typeof parsed.after !== 'string') throw new Error('bad token');
    return parsed;
  } catch {
    throw badRequest(
      'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
    );
  }
}

const positionOf = (o: KubeObject): string => `${metaOf(o).namespace ?? ''}/${metaOf(o).name ?? ''}`;

/** Applies `limit` and `continue`: the page, and the token for the next one ('' when done). */
function paginate(
  items: KubeObject[],
  query: URLSearchParams,
): { page: KubeObject[]; next: string; remaining: number } {
  const token = query.get('continue');
  const start = token ? items.filter((o) => positionOf(o) > decodeContinue(token).after) : items;
  const limit = Number(query.get('limit') ?? '0');
  if (!Number.isInteger(limit) || limit <= 0 || start.length <= limit)
    return { page: start, next: '', remaining: 0 };
  const page = start.slice(0, limit);
  const last = page[page.length - 1];
  const next = last ? Buffer.from(JSON.stringify({ after: positionOf(last) })).toString('base64url') : '';
  return { page, next, remaining: start.length - limit };
}

/** The object as the client asked to see it (plain, Table with one row, or partial metadata). */
export function shapeObject(ctx: HandlerContext, object: KubeObject): KubeObject {
  const shape = negotiateShape(ctx.req.headers.accept);
  if (shape === 'table') {
    const includeObject = parseIncludeObject(ctx.query.get('includeObject'));
    return toTable(ctx.route.type.kind, [object], {
      includeObject,
      resourceVersion: metaOf(object).resourceVersion,
    });
  }
  if (shape === 'partial') return partialMetadata(object);
  return object;
}

export function listBody(
  type: ResourceType,
  items: KubeObject[],
  metadata: Record<string, unknown>,
): KubeObject {
  return { kind: `${type.kind}List`, apiVersion: apiVersionOf(type), metadata, items };
}

export function handleGet(ctx: HandlerContext): void {
  sendJson(ctx.res, 200, shapeObject(ctx, loadNamed(ctx)));
}

export function handleList(ctx: HandlerContext): void {
  const { route, query, cluster } = ctx;
  const resourceVersion = cluster.store.resourceVersion;
  const { page, next, remaining } = paginate(selectedObjects(ctx), query);
  const shape = negotiateShape(ctx.req.headers.accept);
  if (shape === 'table') {
    const includeObject = parseIncludeObject(query.get('includeObject'));
    sendJson(
      ctx.res,
      200,
      toTable(route.type.kind, page, { includeObject, resourceVersion, continueToken: next }),
    );
    return;
  }
  const metadata: Record<string, unknown> = { resourceVersion };
  if (next) {
    metadata['continue'] = next;
    metadata['remainingItemCount'] = remaining;
  }
  if (shape === 'partial') {
    const items = page.map(partialMetadata);
    sendJson(ctx.res, 200, {
      kind: 'PartialObjectMetadataList',
      apiVersion: 'meta.k8s.io/v1',
      metadata,
      items,
    });
    return;
  }
  sendJson(ctx.res, 200, listBody(route.type, page.map(clone), metadata));
}
