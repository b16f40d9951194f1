import type { AuditLevel } from '../../src/config/operations.ts';
import type { CompiledMaskingPolicy } from '../../src/masking/policy.ts';
import { maskingRulesFor } from '../../src/masking/policy.ts';
import { sensitiveKindOf } from '../masking/value-kinds.ts';
import { captureBuffer } from '../recording/body-capture.ts';
import { isSecretRequest, recordBody } from '../recording/body-record.ts';
import type { RequestContext } from '../request-context.ts';
import type { IdentityMapping } from '../runtime.ts';

/**
 * One request as an `audit.k8s.io/v1` Event, the shape kube-apiserver's audit webhook posts, so
 * any audit pipeline that takes Kubernetes audit logs takes the gateway's too. `user` is the agent
 * as its token named it, `impersonatedUser` the identity the cluster saw; the policy decision, rule
 * and review are annotations under `hoop.dev/`. Request bodies (levels Request and
 * RequestResponse) are masked exactly as the recorder masks them (recording/body-record.ts:
 * Secret values always, the caller's masking rules otherwise); a body that cannot be masked is
 * left out. The gateway keeps no copy of response bodies outside the recorder, so
 * RequestResponse adds no `responseObject`.
 */
export interface AuditEvent {
  kind: 'Event';
  apiVersion: 'audit.k8s.io/v1';
  level: AuditLevel;
  auditID: string;
  stage: 'ResponseComplete';
  requestURI: string;
  verb: string;
  user: { username: string; groups: string[] };
  impersonatedUser?: { username: string; groups: string[] };
  sourceIPs: string[];
  userAgent?: string;
  objectRef?: {
    resource?: string;
    namespace?: string;
    name?: string;
    apiGroup?: string;
    apiVersion?: string;
    subresource?: string;
  };
  responseStatus: { metadata: Record<string, never>; code: number };
  requestObject?: unknown;
  requestReceivedTimestamp: string;
  stageTimestamp: string;
  annotations: Record<string, string>;
}

/** RFC 3339 with microseconds, as kube-apiserver writes its audit timestamps. */
function micro(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export interface AuditEventOptions {
  level: AuditLevel;
  identity: IdentityMapping;
  masking: CompiledMaskingPolicy;
  /** Request body bytes at most kept (masked) in `requestObject`. */
  bodyCap?: number;
}

export async function auditEventOf(
  ctx: RequestContext,
  status: number,
  endedAtMs: number,
  options: AuditEventOptions,
): Promise<AuditEvent> {
  const { req } = ctx;
  const info = ctx.info;
  const caller = ctx.caller;
  const durationMs = Number(process.hrtime.bigint() - ctx.startedAt) / 1e6;
  const annotations: Record<string, string> = {};
  if (ctx.cluster) annotations['hoop.dev/cluster'] = ctx.cluster.name;
  if (ctx.decision) {
    annotations['hoop.dev/decision'] = ctx.decision.action;
    annotations['hoop.dev/rule'] = ctx.decision.rule;
  }
  if (ctx.review) {
    annotations['hoop.dev/review'] = ctx.review.id;
    annotations['hoop.dev/review-outcome'] = ctx.review.outcome;
  }
  if (ctx.refusal) annotations['hoop.dev/refusal'] = ctx.refusal;
  if (ctx.recording) annotations['hoop.dev/session'] = ctx.recording.sessionId;
  const event: AuditEvent = {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: options.level,
    auditID: ctx.id,
    stage: 'ResponseComplete',
    requestURI: req.url ?? '/',
    verb: info?.verb ?? (req.method ?? 'GET').toLowerCase(),
    user: { username: caller?.subject ?? 'system:anonymous', groups: caller?.groups ?? [] },
    sourceIPs: req.socket?.remoteAddress ? [req.socket.remoteAddress] : [], // no socket once destroyed mid-body
    responseStatus: { metadata: {}, code: status },
    requestReceivedTimestamp: micro(endedAtMs - durationMs),
    stageTimestamp: micro(endedAtMs),
    annotations,
  };
  if (caller && ctx.decision?.action !== 'deny') {
    const { userPrefix, groupPrefix, extraGroups } = options.identity;
    event.impersonatedUser = {
      username: `${userPrefix}${caller.subject}`,
      groups: [...caller.groups.map((g) => `${groupPrefix}${g}`), ...extraGroups],
    };
  }
  const agent = req.headers['user-agent'];
  if (agent) event.userAgent = agent;
  if (info?.isResourceRequest) {
    event.objectRef = {
      resource: info.resource,
      ...(info.namespace ? { namespace: info.namespace } : {}),
      ...(info.name ? { name: info.name } : {}),
      ...(info.apiGroup ? { apiGroup: info.apiGroup } : {}),
      apiVersion: info.apiVersion,
      ...(info.subresource ? { subresource: info.subresource } : {}),
    };
  }
  if (options.level !== 'Metadata' && ctx.body && ctx.body.length > 0 && caller && info) {
    const record = await recordBody(
      captureBuffer(ctx.body, options.bodyCap ?? 64 * 1024),
      { contentType: single(req.headers['content-type']), cap: options.bodyCap ?? 64 * 1024 },
      {
        sensitiveKind: sensitiveKindOf(info),
        secret: isSecretRequest(info),
        watch: false,
        response: false,
        rules: maskingRulesFor(options.masking, caller),
        ...(ctx.writeValues ? { requestValues: ctx.writeValues } : {}),
      },
    ).catch(() => undefined);
    if (record?.json !== undefined) event.requestObject = record.json;
  }
  return event;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
