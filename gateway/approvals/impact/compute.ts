import { setMaxListeners } from 'node:events';
import type { ImpactPreview } from '../../../src/approvals/impact.types.ts';
import type { CompiledMaskingPolicy } from '../../../src/masking/policy.ts';
import { maskingRulesFor } from '../../../src/masking/policy.ts';
import { callerFrom, clusterFrom, infoFrom, type RequestContext } from '../../request-context.ts';
import type { IdentityMapping } from '../../runtime.ts';
import { boundPreview } from './bounds.ts';
import { previewDelete } from './preview-delete.ts';
import { previewRules } from './preview-masking.ts';
import { previewStream } from './preview-stream.ts';
import { previewWrite } from './preview-write.ts';
import { upstreamCaller } from './upstream-call.ts';

/**
 * The impact preview of one held request (src/approvals/impact.types.ts says what it holds),
 * computed once, when its review is created. It runs within `budgetMs` (every upstream call is
 * aborted when it runs out) and never fails the review: a preview that cannot be computed — the
 * budget ran out, the cluster refused, the network failed — says so in `problems` and is not
 * `complete`. Requests it has nothing to say about (non-resource paths, reads, a create on a
 * subresource other than exec/attach/portforward) get none (`undefined`).
 */
export type ImpactPreviewer = (ctx: RequestContext, budgetMs: number) => Promise<ImpactPreview | undefined>;

const STREAMS = new Set(['exec', 'attach', 'portforward']);
const WRITES = new Set(['create', 'update', 'patch']);

export function impactPreviewer(identity: IdentityMapping, masking: CompiledMaskingPolicy): ImpactPreviewer {
  return async (ctx, budgetMs) => {
    const info = infoFrom(ctx);
    if (!info.isResourceRequest) return undefined;
    const stream = STREAMS.has(info.subresource) && info.resource === 'pods';
    const write = WRITES.has(info.verb) && (info.subresource === '' || info.verb !== 'create');
    const deletes = info.verb === 'delete' || info.verb === 'deletecollection';
    if (!stream && !write && !deletes) return undefined;

    const started = Date.now();
    const signal = AbortSignal.timeout(budgetMs);
    // A namespace preview lists about twenty kinds at once, each listening for the abort.
    setMaxListeners(64, signal);
    const call = upstreamCaller(clusterFrom(ctx), callerFrom(ctx), identity, signal);
    const path = ctx.clusterPath ?? info.path;
    const query = ctx.rawQuery ?? '';
    try {
      const computed = stream
        ? await previewStream(call, info)
        : deletes
          ? await previewDelete(call, info, { path, query, body: ctx.body })
          : await previewWrite(
              call,
              info,
              {
                method: ctx.req.method ?? 'POST',
                path,
                query,
                body: ctx.body,
                contentType: contentType(ctx),
              },
              previewRules(maskingRulesFor(masking, callerFrom(ctx))),
            );
      return boundPreview({ ...computed, tookMs: Date.now() - started });
    } catch (error) {
      const problem = signal.aborted
        ? `not computed within its budget of ${formatBudget(budgetMs)}`
        : `could not be computed: ${error instanceof Error ? error.message : String(error)}`;
      const kind = stream ? 'stream' : deletes ? 'delete' : 'change';
      return boundPreview({ kind, complete: false, problems: [problem], tookMs: Date.now() - started });
    }
  };
}

function contentType(ctx: RequestContext): string | undefined {
  const value = ctx.req.headers['content-type'];
  return Array.isArray(value) ? value[0] : value;
}

function formatBudget(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
