/**
 * The objects every cluster has before anyone writes to it: the `default`, `kube-system` and
 * `kube-public` namespaces (kubectl's default context namespace must exist for creates to work)
 * and the `kubernetes` service in `default`.
 */
import { prepareCreate } from './objects/admit.ts';
import { resourceTypeNamed } from './resources.ts';
import type { ObjectStore } from './store/object-store.ts';

export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public'] as const;

export function bootstrapCluster(store: ObjectStore): void {
  const type = resourceTypeNamed('namespaces');
  for (const name of SYSTEM_NAMESPACES) {
    if (store.get('namespaces', '', name)) continue;
    store.create(
      'namespaces',
      prepareCreate(type, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }),
    );
  }
  if (!store.get('services', 'default', 'kubernetes')) {
    const service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kubernetes', labels: { component: 'apiserver', provider: 'kubernetes' } },
      spec: {
        clusterIP: '10.96.0.1',
        clusterIPs: ['10.96.0.1'],
        ports: [{ name: 'https', port: 443, targetPort: 6443 }],
      },
    };
    store.create('services', prepareCreate(resourceTypeNamed('services'), 'default', service));
  }
}
