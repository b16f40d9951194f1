/**
 * The kubeconfig a client needs to reach one sandbox cluster: its URL, its CA (inline, as
 * certificate-authority-data) and its bearer token, in one context named `sandbox` (or another
 * name, for tests that merge several).
 */
import { stringify } from 'yaml';

export interface KubeconfigInput {
  server: string;
  caPem: string;
  token: string;
  /** Name of the cluster, user and context (default `sandbox`). */
  name?: string;
  /** Namespace the context defaults to. */
  namespace?: string;
}

/** A kubeconfig YAML document with a single context, selected as current. */
export function renderKubeconfig(input: KubeconfigInput): string {
  const name = input.name ?? 'sandbox';
  const context: Record<string, string> = { cluster: name, user: name };
  if (input.namespace) context['namespace'] = input.namespace;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name,
        cluster: {
          server: input.server,
          'certificate-authority-data': Buffer.from(input.caPem).toString('base64'),
        },
      },
    ],
    users: [{ name, user: { token: input.token } }],
    contexts: [{ name, context }],
    'current-context': name,
    preferences: {},
  });
}
