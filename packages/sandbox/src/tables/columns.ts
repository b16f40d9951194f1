/**
 * The columns kube-apiserver's printers (pkg/printers/internalversion/printers.go) produce per
 * kind, so `kubectl get` prints what it prints against a real cluster. Kinds not listed get the
 * generic NAME / AGE table, as for custom resources without printer columns.
 */
import { type KubeObject, metaOf, recordAt, recordsAt } from '../objects/meta.ts';
import {
  age,
  ageColumn,
  ageOf,
  column,
  count,
  type KindColumns,
  name,
  nameColumn,
  orNone,
} from './column-kit.ts';
import { WORKLOAD_COLUMNS } from './workload-columns.ts';

export type { ColumnDefinition, KindColumns } from './column-kit.ts';

/** metav1.TableColumnDefinition. */
function servicePorts(o: KubeObject): string {
  const ports = recordsAt(o, 'spec', 'ports').map((p) => {
    const node = p['nodePort'] ? `:${String(p['nodePort'])}` : '';
    return `${String(p['port'])}${node}/${String(p['protocol'] ?? 'TCP')}`;
  });
  return orNone(ports.join(','));
}

function serviceSelector(o: KubeObject): string {
  const selector = recordAt(o, 'spec', 'selector') ?? {};
  return orNone(
    Object.entries(selector)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(','),
  );
}

const KINDS: Record<string, KindColumns> = {
  ...WORKLOAD_COLUMNS,
  Service: {
    columns: [
      nameColumn,
      column('Type', 'string', 'The type of the service.'),
      column('Cluster-IP', 'string', 'The cluster IP of the service.'),
      column('External-IP', 'string', 'The external IP of the service.'),
      column('Port(s)', 'string', 'The ports of the service.'),
      ageColumn,
      column('Selector', 'string', 'The selector of the service.', 1),
    ],
    cells: (o) => {
      const spec = recordAt(o, 'spec') ?? {};
      return [
        name(o),
        String(spec['type'] ?? 'ClusterIP'),
        orNone(String(spec['clusterIP'] ?? '')),
        '<none>',
        servicePorts(o),
        age(o),
        serviceSelector(o),
      ];
    },
  },
  Namespace: {
    columns: [nameColumn, column('Status', 'string', 'The status of the namespace'), ageColumn],
    cells: (o) => [name(o), String(recordAt(o, 'status')?.['phase'] ?? 'Active'), age(o)],
  },
  ConfigMap: {
    columns: [nameColumn, column('Data', 'integer', 'Data contains the configuration data.'), ageColumn],
    cells: (o) => [name(o), count(o['data']) + count(o['binaryData']), age(o)],
  },
  Secret: {
    columns: [
      nameColumn,
      column('Type', 'string', 'The type of the secret'),
      column('Data', 'integer', 'The number of entries in the secret'),
      ageColumn,
    ],
    cells: (o) => [name(o), String(o['type'] ?? 'Opaque'), count(o['data']), age(o)],
  },
  ServiceAccount: {
    columns: [
      nameColumn,
      column(
        'Secrets',
        'string',
        'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.',
      ),
      ageColumn,
    ],
    cells: (o) => [name(o), String(Array.isArray(o['secrets']) ? o['secrets'].length : 0), age(o)],
  },
  Event: {
    columns: [
      column('Last Seen', 'string', 'Time when this event was last observed.'),
      column(
        'Type',
        'string',
        'Type of this event (Normal, Warning), new types could be added in the future.',
      ),
      column(
        'Reason',
        'string',
        "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
      ),
      column('Object', 'string', 'The object that this event is about.'),
      column('Message', 'string', 'A human-readable description of the status of this operation.'),
    ],
    cells: (o) => {
      const involved = recordAt(o, 'involvedObject') ?? {};
      const object = `${String(involved['kind'] ?? '').toLowerCase()}/${String(involved['name'] ?? '')}`;
      return [
        ageOf(o['lastTimestamp'] ?? metaOf(o).creationTimestamp),
        String(o['type'] ?? 'Normal'),
        String(o['reason'] ?? ''),
        object,
        String(o['message'] ?? ''),
      ];
    },
  },
};

const GENERIC: KindColumns = { columns: [nameColumn, ageColumn], cells: (o) => [name(o), age(o)] };

/** The table layout for objects of `kind`. */
export function columnsFor(kind: string): KindColumns {
  return KINDS[kind] ?? GENERIC;
}
