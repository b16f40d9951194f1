/**
 * What a resource handler receives: the raw request and response, the classified route, the query
 * and the cluster. Handlers either write a response or throw a StatusError (the dispatcher turns
 * it into a Status).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LogBook } from '../logs/log-book.ts';
import type { ObjectStore } from '../store/object-store.ts';
import type { ResourceRoute } from './route.ts';

/**
 * Everything one sandbox cluster holds: the object store, the canned pod logs, and what each
 * server-side-apply field manager last applied (so a field it stops applying is removed, as
 * managedFields tracking would do).
 */
export interface Cluster {
  store: ObjectStore;
  logs: LogBook;
  /** uid → field manager → the configuration it last applied. */
  applied: Map<string, Map<string, Record<string, unknown>>>;
}

export interface HandlerContext {
  req: IncomingMessage;
  res: ServerResponse;
  route: ResourceRoute;
  query: URLSearchParams;
  cluster: Cluster;
}

/** True when the request asks for a dry run (`dryRun=All`): validate and answer, store nothing. */
export function isDryRun(query: URLSearchParams): boolean {
  return query.getAll('dryRun').includes('All');
}
