import type { GatewayRuntime } from '../runtime.ts';
import { forward } from '../upstream/forward.ts';
import { relayUpgrade } from '../upstream/upgrade.ts';
import { authenticate } from './authenticate.ts';
import { authorize } from './authorize.ts';
import { classify } from './classify.ts';
import type { Handler, Stage } from './context.ts';
import { refuseImpersonation } from './refuse-impersonation.ts';
import { requestLog } from './request-log.ts';
import { routeCluster } from './route-cluster.ts';

/**
 * The request pipeline, top-down in execution order (kube-apiserver's DefaultBuildHandlerChain,
 * but readable). Each stage does one thing and leaves its result in the request context.
 */
export function buildStages(runtime: GatewayRuntime): Stage[] {
  return [
    requestLog(runtime.logger), // outermost: every outcome is logged once and errors become Status
    routeCluster(runtime.clusters), // /clusters/<name>/… → cluster
    authenticate(runtime.authenticator), // bearer token → caller, or 401
    refuseImpersonation(), // the caller may not pick its upstream identity
    classify(), // path → request info exactly as kube-apiserver computes it, or 400
    authorize(runtime.policy), // policy: allow, deny (403) or review
  ];
}

function compose(stages: Stage[], terminal: Handler): Handler {
  return stages.reduceRight<Handler>((next, stage) => stage(next), terminal);
}

/** The handler for ordinary requests and the one for upgrades share every stage but the last. */
export function buildChain(runtime: GatewayRuntime): { request: Handler; upgrade: Handler } {
  const stages = buildStages(runtime);
  return {
    request: compose(stages, forward(runtime.identity)),
    upgrade: compose(stages, relayUpgrade(runtime.identity)),
  };
}
