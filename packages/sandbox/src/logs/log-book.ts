/**
 * Canned container logs. Pods in the sandbox run nothing, so `kubectl logs` needs lines from
 * somewhere: rules registered here (by namespace and pod-name prefix, optionally container) say
 * what a pod printed; pods no rule covers get a short generic start-up log. Follow mode adds one
 * heartbeat line per interval, so `kubectl logs -f` has something to stream.
 */
import { type KubeObject, metaOf, recordsAt } from '../objects/meta.ts';

export interface LogRule {
  namespace: string;
  /** Matches pods whose name starts with this (a deployment's pods share its name as prefix). */
  podPrefix: string;
  /** Only this container; all containers when absent. */
  container?: string;
  lines: string[];
}

export interface LogLine {
  time: Date;
  text: string;
}

export class LogBook {
  readonly #rules: LogRule[] = [];
  /** Milliseconds between heartbeat lines in follow mode. */
  readonly followIntervalMs: number;

  constructor(options: { followIntervalMs?: number } = {}) {
    this.followIntervalMs = options.followIntervalMs ?? 1000;
  }

  /** Registers what matching pods print; later rules win over earlier ones. */
  define(rule: LogRule): void {
    this.#rules.unshift(rule);
  }

  /** The lines `container` of `pod` has printed so far, timestamped from the pod's start. */
  linesFor(pod: KubeObject, container: string): LogLine[] {
    const meta = metaOf(pod);
    const rule = this.#rules.find(
      (r) =>
        r.namespace === meta.namespace &&
        (meta.name ?? '').startsWith(r.podPrefix) &&
        (r.container === undefined || r.container === container),
    );
    const image = recordsAt(pod, 'spec', 'containers').find((c) => c['name'] === container)?.['image'];
    const texts = rule?.lines ?? [
      `starting container ${container} (image ${String(image ?? 'unknown')})`,
      'configuration loaded',
      'listening on :8080',
      'ready to serve requests',
    ];
    const start = Date.parse(meta.creationTimestamp ?? '') || Date.now();
    return texts.map((text, i) => ({ time: new Date(start + i * 1000), text }));
  }

  /** The n-th heartbeat line printed while a client follows the log. */
  heartbeat(container: string, n: number): LogLine {
    return { time: new Date(), text: `${container}: heartbeat ${n}, all systems nominal` };
  }
}
