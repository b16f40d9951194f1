/**
 * Resource requests to handlers, by subresource and verb. A verb the type does not serve, or a
 * method that makes no sense for the path (POST to a named object, PUT to a collection), is 405
 * MethodNotAllowed, as the apiserver answers.
 */

import { methodNotAllowed } from '../errors.ts';
import { handleLogs } from '../handlers/logs.ts';
import { handlePatch } from '../handlers/patch.ts';
import { handleGet, handleList } from '../handlers/read.ts';
import { handleReview } from '../handlers/reviews.ts';
import { handleScale } from '../handlers/scale.ts';
import { handleWatch } from '../handlers/watch.ts';
import { handleCreate, handleDelete, handleDeleteCollection, handleUpdate } from '../handlers/write.ts';
import type { HandlerContext } from './context.ts';

/** Create-only review types, answered without storing anything. */
const REVIEWS = new Set(['selfsubjectreviews', 'selfsubjectaccessreviews', 'selfsubjectrulesreviews']);

/** The streaming subresources, handed to sandbox/streams rather than answered here. */
export const STREAM_SUBRESOURCES = new Set(['exec', 'attach', 'portforward']);

function refuse(ctx: HandlerContext): never {
  const { route } = ctx;
  const what = route.subresource ? `${route.type.resource}/${route.subresource}` : route.type.resource;
  throw methodNotAllowed(ctx.req.method ?? route.verb, what);
}

async function dispatchMain(ctx: HandlerContext): Promise<void> {
  const { route } = ctx;
  if (!route.type.verbs.includes(route.verb)) refuse(ctx);
  switch (route.verb) {
    case 'get':
      return handleGet(ctx);
    case 'list':
      return handleList(ctx);
    case 'watch':
      return handleWatch(ctx);
    case 'create':
      if (route.name) refuse(ctx);
      return REVIEWS.has(route.type.resource) ? handleReview(ctx) : handleCreate(ctx);
    case 'update':
      if (!route.name) refuse(ctx);
      return handleUpdate(ctx);
    case 'patch':
      if (!route.name) refuse(ctx);
      return handlePatch(ctx);
    case 'delete':
      return handleDelete(ctx);
    case 'deletecollection':
      return handleDeleteCollection(ctx);
  }
}

/** Runs the handler for a (non-streaming) resource request. */
export async function dispatchResource(ctx: HandlerContext): Promise<void> {
  const { route } = ctx;
  const allowed = route.type.subresources[route.subresource]?.verbs ?? [];
  switch (route.subresource) {
    case '':
      return dispatchMain(ctx);
    case 'log':
      if (route.verb !== 'get') refuse(ctx);
      return handleLogs(ctx);
    case 'scale':
      if (!allowed.includes(route.verb)) refuse(ctx);
      return handleScale(ctx);
    case 'status':
      if (route.verb === 'get') return handleGet(ctx);
      if (route.verb === 'update') return handleUpdate(ctx);
      if (route.verb === 'patch') return handlePatch(ctx);
      return refuse(ctx);
    default:
      return refuse(ctx);
  }
}
