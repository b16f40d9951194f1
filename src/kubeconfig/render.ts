import { stringify } from 'yaml';

export interface KubeconfigInput {
  server: string;
  /**
   * The CA that signed the server's certificate, PEM; written inline as certificate-authority-data.
   * Empty: none is written, and clients trust the server by their system's CAs.
   */
  caPem: string;
  /** The kubeconfig `user` entry: `{ token }`, `{ exec: … }`, client certificate… */
  user: Record<string, unknown>;
  /** Name of the cluster, user and context (default `default`). */
  name?: string;
  /** Namespace the context defaults to. */
  namespace?: string;
}

/** A kubeconfig YAML document with one cluster, user and context, selected as current. */
export function renderKubeconfig(input: KubeconfigInput): string {
  const name = input.name ?? 'default';
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
          ...(input.caPem
            ? { 'certificate-authority-data': Buffer.from(input.caPem).toString('base64') }
            : {}),
        },
      },
    ],
    users: [{ name, user: input.user }],
    contexts: [{ name, context }],
    'current-context': name,
    preferences: {},
  });
}
