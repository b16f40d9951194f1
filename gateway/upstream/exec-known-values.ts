import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { isJsonObject, type JsonObject } from '../../src/masking/mask-core.ts';
import type { MaskingRules } from '../../src/masking/policy.ts';
import { maskedValuesOf, podReferences } from '../masking/known-values.ts';
import { clusterFrom, infoFrom, type RequestContext } from '../request-context.ts';
import type { IdentityMapping } from '../runtime.ts';
import { openUpstreamRequest, upstreamPath, upstreamTarget } from './upstream-request.ts';

/**
 * Before an exec/attach is relayed, the values the gateway knows to be secret for its pod
 * (masking/known-values.ts): the pod is read, then the Secrets and masked ConfigMaps it
 * references, all as the agent — impersonated, with the gateway's upstream credential — so the
 * gateway learns nothing the agent could not read itself (and masked) with `kubectl get`.
 *
 * Bounded: everything shares one deadline (`timeoutMs`), and each body is capped. A read that
 * fails, is refused (the agent may not read the pod or the Secret), times out or is not JSON adds
 * nothing: the exec is then masked by the log detectors alone, as before. This lookup can only add
 * masking; it never blocks or refuses the exec.
 */

/** Largest object body read. */
const MAX_BODY = 4 * 1024 * 1024;

/** Only the credential and identity headers: nothing of the exec request itself goes along. */
function agentHeaders(headers: OutgoingHttpHeaders): OutgoingHttpHeaders {
  const kept: OutgoingHttpHeaders = { accept: 'application/json' };
  for (const [name, value] of Object.entries(headers)) {
    if (name === 'authorization' || name.startsWith('impersonate-')) kept[name] = value;
  }
  return kept;
}

export async function knownSecretValues(
  ctx: RequestContext,
  identity: IdentityMapping,
  rules: MaskingRules,
  timeoutMs: number,
): Promise<string[]> {
  const info = infoFrom(ctx);
  const namespace = info.namespace;
  if (!namespace || !info.name) return [];
  const cluster = clusterFrom(ctx);
  const { headers } = await upstreamTarget(ctx, identity, { upgrade: false });
  const sent = agentHeaders(headers);
  const deadline = AbortSignal.timeout(timeoutMs);

  const read = (resource: string, name: string): Promise<JsonObject | undefined> => {
    const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/${resource}/${encodeURIComponent(name)}`;
    return getJson(openUpstreamRequest(cluster, 'GET', upstreamPath(cluster, path, ''), sent), deadline);
  };
  const pod = await read('pods', info.name);
  if (!pod) return [];
  const values = maskedValuesOf('Pod', pod, rules);
  const refs = podReferences(pod, namespace, rules);
  const fetched = await Promise.all([
    ...refs.secrets.map(async (name) => ({ kind: 'Secret' as const, object: await read('secrets', name) })),
    ...refs.configMaps.map(async (name) => ({
      kind: 'ConfigMap' as const,
      object: await read('configmaps', name),
    })),
  ]);
  for (const { kind, object } of fetched) if (object) values.push(...maskedValuesOf(kind, object, rules));
  return values;
}

/** The JSON object a GET answers with 200, or undefined for anything else (never throws). */
function getJson(
  request: ReturnType<typeof openUpstreamRequest>,
  deadline: AbortSignal,
): Promise<JsonObject | undefined> {
  return new Promise((resolve) => {
    const give = (value: JsonObject | undefined): void => {
      deadline.removeEventListener('abort', abort);
      resolve(value);
    };
    const abort = (): void => {
      request.destroy();
      give(undefined);
    };
    if (deadline.aborted) return abort();
    deadline.addEventListener('abort', abort, { once: true });
    request.once('error', () => give(undefined));
    request.once('response', (res: IncomingMessage) => {
      const type = String(res.headers['content-type'] ?? '');
      if (res.statusCode !== 200 || !type.startsWith('application/json') || res.headers['content-encoding']) {
        res.resume();
        return give(undefined);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY) {
          request.destroy();
          return give(undefined);
        }
        chunks.push(chunk);
      });
      res.once('error', () => give(undefined));
      res.once('end', () => {
        try {
          const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          give(isJsonObject(parsed) ? parsed : undefined);
        } catch {
          give(undefined);
        }
      });
    });
    request.end();
  });
}
