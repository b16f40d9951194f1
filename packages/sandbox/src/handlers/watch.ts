/**
 * watch: a chunked stream of `{"type":…,"object":…}\n` events, one write (so one chunk, flushed)
 * per event, with kube-apiserver's resourceVersion semantics:
 *
 * - no resourceVersion, or "0": synthetic ADDED events for every selected object, then changes;
 * - resourceVersion N: every change after N from history; when history no longer reaches N, one
 *   ERROR event carrying a 410 `Expired` Status, and the stream ends (the client lists again);
 * - `sendInitialEvents=true`: the initial ADDED events are followed by a BOOKMARK annotated
 *   `k8s.io/initial-events-end` (the WatchList protocol);
 * - selectors apply to transitions: an object that stops matching is reported DELETED, one that
 *   starts matching ADDED;
 * - `timeoutSeconds` ends the stream; so does the client going away.
 *
 * With a Table Accept header every event's object is a one-row Table; only the first carries
 * columnDefinitions, as the apiserver does to save bandwidth.
 *
 * The events themselves are produced by {@link streamWatchEvents}, which writes to any
 * {@link WatchSink}: the chunked HTTP response here, or a WebSocket (streams/watch-websocket.ts),
 * as kube-apiserver serves the same watch over both.
 */
import type { HandlerContext } from '../http/context.ts';
import { type KubeObject, namespaceOf } from '../objects/meta.ts';
import { apiVersionOf } from '../resources.ts';
import type { StoreEvent } from '../store/object-store.ts';
import { matchesSelectors, parseFieldSelector, parseLabelSelector } from '../store/selectors.ts';
import { negotiateShape, parseIncludeObject, partialMetadata, toTable } from '../tables/table.ts';
import { selectedObjects } from './read.ts';

type WatchType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** Where watch events go: one `write` per event (a line ending in `\n`), then `end`. */
export interface WatchSink {
  write(line: string): void;
  end(): void;
  /** True once the stream is over (client gone or ended). */
  ended(): boolean;
  /** Calls `stop` once the stream is over, whoever ended it. */
  onEnd(stop: () => void): void;
}

export function handleWatch(ctx: HandlerContext): void {
  const { res } = ctx;
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders();
  streamWatchEvents(ctx, {
    write: (line) => void res.write(line),
    end: () => void res.end(),
    ended: () => res.writableEnded,
    onEnd: (stop) => {
      res.on('close', stop);
      res.on('finish', stop);
    },
  });
}

/** Streams the watch `ctx` asks for into `sink` until the sink ends or `timeoutSeconds` passes. */
export function streamWatchEvents(ctx: Omit<HandlerContext, 'res'>, sink: WatchSink): void {
  const { route, query, cluster, req } = ctx;
  const labels = parseLabelSelector(query.get('labelSelector') ?? '');
  const fields = parseFieldSelector(query.get('fieldSelector') ?? '');
  const shape = negotiateShape(req.headers.accept);
  const includeObject = parseIncludeObject(query.get('includeObject'));
  const since = query.get('resourceVersion') ?? '';
  const initial = selectedObjects(ctx);
  let headersSent = false;

  const render = (object: KubeObject): KubeObject => {
    if (shape === 'table') {
      const table = toTable(route.type.kind, [object], { includeObject, noHeaders: headersSent });
      headersSent = true;
      return table;
    }
    return shape === 'partial' ? partialMetadata(object) : object;
  };
  const send = (type: WatchType, object: KubeObject): void => {
    if (sink.ended()) return;
    const rendered = type === 'ERROR' || type === 'BOOKMARK' ? object : render(object);
    sink.write(`${JSON.stringify({ type, object: rendered })}\n`);
  };
  const matches = (object: KubeObject | undefined): boolean =>
    object !== undefined &&
    (!route.namespace || namespaceOf(object) === route.namespace) &&
    matchesSelectors(object, labels, fields);
  const deliver = (event: StoreEvent): void => {
    if (event.resource !== route.type.resource) return;
    const now = event.type !== 'DELETED' && matches(event.object);
    const before = event.type !== 'ADDED' && matches(event.previous);
    if (event.type === 'DELETED') {
      if (before) send('DELETED', event.object);
    } else if (now) send(before ? 'MODIFIED' : 'ADDED', event.object);
    else if (before) send('DELETED', event.object);
  };

  if (since === '' || since === '0' || query.get('sendInitialEvents') === 'true') {
    for (const object of initial) send('ADDED', object);
    if (query.get('sendInitialEvents') === 'true') {
      const bookmark = {
        kind: route.type.kind,
        apiVersion: apiVersionOf(route.type),
        metadata: {
          resourceVersion: cluster.store.resourceVersion,
          annotations: { 'k8s.io/initial-events-end': 'true' },
        },
      };
      send('BOOKMARK', bookmark);
    }
  } else {
    const history = cluster.store.eventsSince(Number(since));
    if (history === 'expired') {
      send('ERROR', {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: `too old resource version: ${since} (${cluster.store.resourceVersion})`,
        reason: 'Expired',
        code: 410,
      });
      sink.end();
      return;
    }
    for (const event of history) deliver(event);
  }

  const unsubscribe = cluster.store.subscribe(deliver);
  const timeoutSeconds = Number(query.get('timeoutSeconds') ?? '0');
  const timer = timeoutSeconds > 0 ? setTimeout(() => sink.end(), timeoutSeconds * 1000) : undefined;
  const stop = (): void => {
    unsubscribe();
    if (timer) clearTimeout(timer);
  };
  sink.onEnd(stop);
}
