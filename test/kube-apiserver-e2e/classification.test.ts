/**
 * Differential classification: every request of the corpus (classification-corpus.ts) goes
 * through the gateway to a real kube-apiserver, and the gateway's reading of it (verb, API group,
 * version, resource, subresource, namespace, name: its JSON log line, and `classifyRequest` for
 * the same bytes) is compared with the `verb` and `objectRef` kube-apiserver wrote in its audit
 * log for the same request (correlated by an `Audit-ID` header, which kube-apiserver adopts).
 *
 * The gateway's policy allows everything and the agent has no RBAC at all, so the cluster audits
 * each request and answers 403 (nothing is created or deleted). A request the gateway refused as
 * ambiguous (400) or as an unknown method (405) must not have reached the cluster; every request
 * it forwarded must have been read exactly as the cluster read it, with one documented exception:
 * exec/attach/portforward are `create` to the gateway whatever the method (request-info.ts).
 */
import { request } from 'node:https';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { classifyRequest } from '../../src/request/request-info.ts';
import type { RequestInfo } from '../../src/request/request-info.types.ts';
import {
  type AuditEvent,
  BUILD_TIMEOUT_MS,
  describeWithKubeApiserver,
  type KubeApiserver,
  startKubeApiserver,
} from '../support/kube-apiserver.ts';
import { type KubeApiserverStack, startKubeApiserverStack } from '../support/stack.ts';
import { type CorpusRequest, classificationCorpus } from './classification-corpus.ts';

interface GatewayLine {
  verb?: string;
  apiGroup?: string;
  resource?: string;
  namespace?: string;
  name?: string;
  status?: number;
  refusal?: string;
  decision?: string;
}

interface Outcome {
  request: CorpusRequest;
  status: number;
  refusedByGateway: boolean;
  disagreement?: string;
}

function send(stack: KubeApiserverStack, token: string, r: CorpusRequest, auditId: string): Promise<number> {
  const url = new URL(stack.gateway.url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method: r.method,
        path: `/clusters/${stack.cluster}${r.path}${r.query === '' ? '' : `?${r.query}`}`,
        ca: stack.gateway.caPem,
        agent: false,
        headers: {
          authorization: `Bearer ${token}`,
          'audit-id': auditId,
          ...(['POST', 'PUT', 'PATCH'].includes(r.method)
            ? { 'content-type': r.method === 'PATCH' ? 'application/merge-patch+json' : 'application/json' }
            : {}),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.setTimeout(15_000, () => req.destroy(new Error('no answer in 15 s')));
    req.on('error', reject);
    req.end(['POST', 'PUT', 'PATCH'].includes(r.method) ? '{}' : undefined);
  });
}

/** The gateway's classification of the same bytes, or the refusal it throws. */
function classifyDirectly(r: CorpusRequest): RequestInfo | Error {
  try {
    return classifyRequest(r.method, r.path, r.query);
  } catch (error) {
    return error as Error;
  }
}

/** What the gateway's reading and the cluster's audit event disagree on; undefined when they agree. */
function compare(info: RequestInfo, line: GatewayLine, event: AuditEvent): string | undefined {
  const differences: string[] = [];
  const same = (what: string, gateway: string, cluster: string) => {
    if (gateway !== cluster)
      differences.push(`${what}: gateway ${JSON.stringify(gateway)} cluster ${JSON.stringify(cluster)}`);
  };
  const streaming = ['exec', 'attach', 'portforward'].includes(info.subresource);
  // Documented: the gateway counts exec/attach/portforward as `create` for every method.
  if (!(streaming && info.verb === 'create')) same('verb', info.verb, event.verb);
  same('log verb', line.verb ?? '', info.verb);
  const ref = event.objectRef;
  same('resource request', String(info.isResourceRequest), String(ref !== undefined));
  if (ref) {
    same('apiGroup', info.apiGroup, ref.apiGroup ?? '');
    same('apiVersion', info.apiVersion, ref.apiVersion ?? '');
    same('resource', info.resource, ref.resource ?? '');
    same('subresource', info.subresource, ref.subresource ?? '');
    same('namespace', info.namespace, ref.namespace ?? '');
    same('name', info.name, ref.name ?? '');
    same('log resource', line.resource ?? '', [info.resource, info.subresource].filter(Boolean).join('/'));
    same('log namespace', line.namespace ?? '', info.namespace);
    same('log name', line.name ?? '', info.name);
    same('log apiGroup', line.apiGroup ?? '', info.apiGroup);
  }
  return differences.length === 0 ? undefined : differences.join('; ');
}

describeWithKubeApiserver('differential classification against kube-apiserver’s audit log', () => {
  let apiserver: KubeApiserver;
  let stack: KubeApiserverStack;
  let token: string;

  beforeAll(async () => {
    apiserver = await startKubeApiserver();
    // Proxy subresources are allowed only by a rule that names them (docs/policy.md): this one
    // does, so they are forwarded and compared like everything else.
    const policy = {
      default: 'allow',
      rules: [
        {
          name: 'proxy-for-the-corpus',
          match: { resources: ['pods/proxy', 'services/proxy', 'nodes/proxy'] },
          action: 'allow',
        },
      ],
    };
    stack = await startKubeApiserverStack({ apiserver, policy });
    token = await stack.issuer.issueToken('agent-1');
  }, BUILD_TIMEOUT_MS);
  afterAll(async () => {
    await stack?.close();
    await apiserver?.close();
  });

  it('the gateway reads every forwarded request exactly as the cluster does', {
    timeout: 300_000,
  }, async () => {
    const corpus = classificationCorpus();
    expect(corpus.length).toBeGreaterThanOrEqual(300);
    const outcomes: Outcome[] = [];
    const pending: Array<{ request: CorpusRequest; auditId: string; line: GatewayLine; status: number }> = [];
    for (const [i, r] of corpus.entries()) {
      const auditId = `hoop-diff-${i}-${globalThis.crypto.randomUUID()}`;
      const before = stack.logLines.length;
      const status = await send(stack, token, r, auditId);
      // The log line is written when the response has closed; wait for it.
      const deadline = Date.now() + 5000;
      while (stack.logLines.length === before && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const line = JSON.parse(stack.logLines.at(-1) ?? '{}') as GatewayLine;
      pending.push({ request: r, auditId, line, status });
    }

    const events = new Map<string, AuditEvent[]>();
    // The audit log is written synchronously (blocking mode); give the last events a moment.
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const event of await apiserver.auditEvents()) {
      const list = events.get(event.auditID) ?? [];
      list.push(event);
      events.set(event.auditID, list);
    }
    for (const { request: r, auditId, line, status } of pending) {
      const info = classifyDirectly(r);
      const audited = events.get(auditId) ?? [];
      const what = `${r.method} ${r.path}${r.query === '' ? '' : `?${r.query}`}`;
      if (info instanceof Error || line.decision === undefined) {
        // Refused by the gateway (400 ambiguous, 405 method): the cluster must not have seen it.
        const refused = info instanceof Error && line.decision === undefined && status >= 400 && status < 500;
        outcomes.push({
          request: r,
          status,
          refusedByGateway: true,
          ...(refused && audited.length === 0
            ? {}
            : {
                disagreement: `${what}: classifyRequest ${info instanceof Error ? 'refused' : 'accepted'}, log decision ${line.decision}, status ${status}, ${audited.length} audit events`,
              }),
        });
        continue;
      }
      // Answered by the gateway itself, by design: denied by its policy (the legacy /api/v1/proxy
      // paths always are), or a self review (whoami, can-i) the gateway answers from its own
      // identity and policy. The cluster must not have seen it.
      const answeredByGateway =
        line.decision === 'deny' || /\/selfsubject(access|rules)?reviews$/.test(r.path);
      if (answeredByGateway && audited.length === 0) {
        outcomes.push({ request: r, status, refusedByGateway: true });
        continue;
      }
      const event = audited.find((e) => e.stage === 'ResponseComplete') ?? audited[0];
      if (!event) {
        outcomes.push({
          request: r,
          status,
          refusedByGateway: false,
          disagreement: `${what}: forwarded (status ${status}) but kube-apiserver audited nothing`,
        });
        continue;
      }
      const difference = compare(info, line, event);
      outcomes.push({
        request: r,
        status,
        refusedByGateway: false,
        ...(difference ? { disagreement: `${what}: ${difference}` } : {}),
      });
    }

    const disagreements = outcomes.flatMap((o) => (o.disagreement ? [o.disagreement] : []));
    const forwarded = outcomes.filter((o) => !o.refusedByGateway).length;
    console.log(
      `differential classification: ${corpus.length} requests, ${forwarded} forwarded and compared, ` +
        `${corpus.length - forwarded} refused by the gateway, ${disagreements.length} disagreements`,
    );
    for (const d of disagreements) console.log(`  disagreement: ${d}`);
    expect(disagreements).toEqual([]);
  });
});
