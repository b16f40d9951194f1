/**
 * `pods/log`: the canned log of one container, as text/plain. `container` is required when the
 * pod has several (400 naming them otherwise, as the apiserver answers); `tailLines`,
 * `timestamps`, `limitBytes` are honoured; `follow=true` keeps the response open, writing a
 * heartbeat line per interval (one chunk each) until the client goes away or the pod is deleted.
 */
import { badRequest } from '../errors.ts';
import type { HandlerContext } from '../http/context.ts';
import type { LogLine } from '../logs/log-book.ts';
import { metaOf, recordsAt } from '../objects/meta.ts';
import { loadNamed } from './read.ts';

/** RFC 3339 with nanoseconds, the kubelet's `--timestamps` format. */
const stamp = (date: Date): string => date.toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');

export function handleLogs(ctx: HandlerContext): void {
  const { query, res, cluster, route } = ctx;
  const pod = loadNamed(ctx);
  const containers = recordsAt(pod, 'spec', 'containers').map((c) => String(c['name']));
  let container = query.get('container') ?? '';
  if (!container) {
    if (containers.length !== 1) {
      throw badRequest(
        `a container name must be specified for pod ${route.name}, choose one of: [${containers.join(' ')}]`,
      );
    }
    container = containers[0] ?? '';
  } else if (!containers.includes(container)) {
    throw badRequest(`container ${container} is not valid for pod ${route.name}`);
  }
  const timestamps = query.get('timestamps') === 'true';
  const format = (line: LogLine): string => `${timestamps ? `${stamp(line.time)} ` : ''}${line.text}\n`;
  let lines = cluster.logs.linesFor(pod, container);
  const tail = Number(query.get('tailLines') ?? '-1');
  if (Number.isInteger(tail) && tail >= 0) lines = lines.slice(Math.max(0, lines.length - tail));
  let text = lines.map(format).join('');
  const limit = Number(query.get('limitBytes') ?? '0');
  if (Number.isInteger(limit) && limit > 0) text = text.slice(0, limit);

  res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private' });
  if (query.get('follow') !== 'true') {
    res.end(text);
    return;
  }
  res.write(text);
  const uid = metaOf(pod).uid;
  let n = 0;
  const timer = setInterval(() => {
    const live = cluster.store.get(route.type.resource, route.namespace, route.name);
    if (!live || metaOf(live).uid !== uid) {
      res.end();
      return;
    }
    res.write(format(cluster.logs.heartbeat(container, ++n)));
  }, cluster.logs.followIntervalMs);
  const stop = (): void => clearInterval(timer);
  res.on('close', stop);
  res.on('finish', stop);
}
