import { impactPreviewer } from './approvals/impact/compute.ts';
import { authenticate } from './pipeline/authenticate.ts';
import { authorize } from './pipeline/authorize.ts';
import { classify } from './pipeline/classify.ts';
import { inspectWrite } from './pipeline/inspect-write.ts';
import { record, recordGate } from './pipeline/record.ts';
import { refuseImpersonation } from './pipeline/refuse-impersonation.ts';
import { requestLog } from './pipeline/request-log.ts';
import { review } from './pipeline/review.ts';
import { routeCluster } from './pipeline/route-cluster.ts';
import { selfReviews } from './pipeline/self-reviews.ts';
import type { Handler, Stage } from './request-context.ts';
import type { GatewayRuntime } from './runtime.ts';
import { routeUpgrade } from './upgrade-router.ts';
import { forward } from './upstream/forward.ts';

/**
 * The request pipeline, top-down in execution order (kube-apiserver's DefaultBuildHandlerChain,
 * but readable). Each stage does one thing and leaves its result in the request context. Each
 * carries the name of the function that made it (`stage.name`), so the order documented in
 * docs/architecture.md can be checked against this list.
 */
export function buildStages(runtime: GatewayRuntime): Stage[] {
  return [
    named(requestLog, runtime.logger, runtime.observers ?? {}), // outermost: every outcome is logged once and errors become Status
    named(authenticate, runtime.authenticator), // bearer token → caller, or 401 (before routing: no cluster names to strangers)
    named(routeCluster, runtime.clusters), // /clusters/<name>/… → cluster
    named(refuseImpersonation, runtime.identity), // the caller may not pick its upstream identity
    named(classify), // path → request info exactly as kube-apiserver computes it, or 400
    named(record, runtime.recording), // session recording: every decision and outcome from here on, or 503
    named(authorize, runtime.policy), // policy: allow, deny (403) or review
    named(inspectWrite, runtime.masking), // writes of values: no JSON-patch reads (403), no mask marker (422)
    named(review, runtime.approvals, runtime.logger, impactPreviewer(runtime.identity, runtime.masking)), // review: hold until approved, or 403/429/503
    named(recordGate), // the request event is written before anything goes upstream
    named(selfReviews, runtime), // whoami and can-i: answered by the gateway (can-i also asks the cluster)
  ];
}

/** `factory(...args)`, named after `factory` (stages are anonymous arrow functions otherwise). */
function named<A extends unknown[]>(factory: (...args: A) => Stage, ...args: A): Stage {
  return Object.defineProperty(factory(...args), 'name', { value: factory.name });
}

function compose(stages: Stage[], terminal: Handler): Handler {
  return stages.reduceRight<Handler>((next, stage) => stage(next), terminal);
}

/** The handler for ordinary requests and the one for upgrades share every stage but the last. */
export function buildChain(runtime: GatewayRuntime): { request: Handler; upgrade: Handler } {
  const stages = buildStages(runtime);
  return {
    request: compose(stages, forward(runtime.identity, runtime.masking)),
    upgrade: compose(stages, routeUpgrade(runtime)),
  };
}
