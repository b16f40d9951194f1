import type { ImpactPreview, PodFacts } from '../../../src/approvals/impact.types.ts';
import { isJsonObject, type JsonObject } from '../../../src/masking/mask-core.ts';
import type { RequestInfo } from '../../../src/request/request-info.types.ts';
import { containers } from './preview-write.ts';
import { answerProblem, type UpstreamCaller } from './upstream-call.ts';

/**
 * For exec, attach and port-forward: the target pod's facts that matter to a risk decision —
 * images, privileged containers, shared host namespaces, service account, node and controller —
 * from a GET of the pod as the agent. No env, no values: nothing here needs masking.
 */
export async function previewStream(
  call: UpstreamCaller,
  info: RequestInfo,
): Promise<Omit<ImpactPreview, 'tookMs'>> {
  const path = `/api/v1/namespaces/${encodeURIComponent(info.namespace)}/pods/${encodeURIComponent(info.name)}`;
  const answer = await call({ method: 'GET', path });
  if (answer.status !== 200 || !isJsonObject(answer.json)) {
    const problem = `could not read the pod as the agent: ${answerProblem(answer, { withMessage: true })}`;
    return { kind: 'stream', complete: false, problems: [problem] };
  }
  return { kind: 'stream', complete: true, problems: [], pod: podFacts(answer.json) };
}

export function podFacts(pod: JsonObject): PodFacts {
  const spec = isJsonObject(pod['spec']) ? pod['spec'] : {};
  const meta = isJsonObject(pod['metadata']) ? pod['metadata'] : {};
  const all = containers(spec);
  const facts: PodFacts = {
    images: [...new Set(all.map((c) => String(c['image'] ?? '?')))],
    privileged: all
      .filter((c) => isJsonObject(c['securityContext']) && c['securityContext']['privileged'] === true)
      .map((c) => String(c['name'] ?? '?')),
    hostNamespaces: (['hostNetwork', 'hostPID', 'hostIPC'] as const)
      .filter((field) => spec[field] === true)
      .map((field) => field.slice(4).toLowerCase()),
  };
  const account = spec['serviceAccountName'] ?? spec['serviceAccount'];
  if (typeof account === 'string') facts.serviceAccount = account;
  if (typeof spec['nodeName'] === 'string') facts.node = spec['nodeName'];
  const refs = Array.isArray(meta['ownerReferences']) ? meta['ownerReferences'].filter(isJsonObject) : [];
  const owner = refs.find((ref) => ref['controller'] === true) ?? refs[0];
  if (owner) facts.owner = `${String(owner['kind'])}/${String(owner['name'])}`;
  return facts;
}
