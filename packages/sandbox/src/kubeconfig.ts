import { renderKubeconfig as renderWithUser } from '../../../src/kubeconfig/render.ts';

/** What a client needs to reach one sandbox cluster: its URL, its CA and its bearer token. */
export interface KubeconfigInput {
  server: string;
  caPem: string;
  token: string;
  /** Name of the cluster, user and context (default `sandbox`). */
  name?: string;
  /** Namespace the context defaults to. */
  namespace?: string;
}

/** A kubeconfig YAML document for a sandbox cluster: one context (default `sandbox`), token auth. */
export function renderKubeconfig(input: KubeconfigInput): string {
  const { token, name, ...rest } = input;
  return renderWithUser({ ...rest, name: name ?? 'sandbox', user: { token } });
}
