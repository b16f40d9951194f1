/**
 * Printing columns of pods and the workloads that own them (Deployment, ReplicaSet), as
 * kube-apiserver's printers lay them out: READY as `ready/total`, STATUS from the phase (or
 * Terminating), and the wide-output CONTAINERS / IMAGES / SELECTOR columns.
 */
import { type KubeObject, metaOf, recordAt, recordsAt } from '../objects/meta.ts';
import { formatLabelSelector, fromLabelSelectorObject } from '../store/selectors.ts';
import {
  age,
  ageColumn,
  type ColumnDefinition,
  column,
  type KindColumns,
  name,
  nameColumn,
  num,
  orNone,
} from './column-kit.ts';

function containersAndImages(o: KubeObject): [string, string] {
  const containers = recordsAt(o, 'spec', 'template', 'spec', 'containers');
  return [
    containers.map((c) => String(c['name'])).join(','),
    containers.map((c) => String(c['image'])).join(','),
  ];
}

function workloadSelector(o: KubeObject): string {
  return orNone(formatLabelSelector(fromLabelSelectorObject(recordAt(o, 'spec', 'selector'))));
}

function podCells(o: KubeObject): unknown[] {
  const statuses = recordsAt(o, 'status', 'containerStatuses');
  const total = recordsAt(o, 'spec', 'containers').length;
  const ready = statuses.filter((s) => s['ready'] === true).length;
  const restarts = statuses.reduce((sum, s) => sum + num(s['restartCount']), 0);
  const phase = metaOf(o).deletionTimestamp
    ? 'Terminating'
    : String(recordAt(o, 'status')?.['phase'] ?? 'Pending');
  const status = recordAt(o, 'status');
  const spec = recordAt(o, 'spec');
  return [
    name(o),
    `${ready}/${total}`,
    phase,
    String(restarts),
    age(o),
    orNone(String(status?.['podIP'] ?? '')),
    orNone(String(spec?.['nodeName'] ?? '')),
    '<none>',
    '<none>',
  ];
}

const workloadColumns = (first: ColumnDefinition[]): ColumnDefinition[] => [
  nameColumn,
  ...first,
  ageColumn,
  column('Containers', 'string', 'Names of each container in the template.', 1),
  column('Images', 'string', 'Images referenced by each container in the template.', 1),
  column('Selector', 'string', 'Label selector for pods.', 1),
];

export const WORKLOAD_COLUMNS: Record<string, KindColumns> = {
  Pod: {
    columns: [
      nameColumn,
      column('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
      column('Status', 'string', 'The aggregate status of the containers in this pod.'),
      column(
        'Restarts',
        'string',
        'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
      ),
      ageColumn,
      column('IP', 'string', 'IP address allocated to the pod. Routable at least within the cluster.', 1),
      column('Node', 'string', 'NodeName is a request to schedule this pod onto a specific node.', 1),
      column(
        'Nominated Node',
        'string',
        'nominatedNodeName is set only when this pod preempts other pods on the node.',
        1,
      ),
      column(
        'Readiness Gates',
        'string',
        'If specified, all readiness gates will be evaluated for pod readiness.',
        1,
      ),
    ],
    cells: podCells,
  },
  Deployment: {
    columns: workloadColumns([
      column('Ready', 'string', 'Number of the pod with ready state'),
      column(
        'Up-to-date',
        'integer',
        'Total number of non-terminated pods targeted by this deployment that have the desired template spec.',
      ),
      column(
        'Available',
        'integer',
        'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.',
      ),
    ]),
    cells: (o) => {
      const s = recordAt(o, 'status') ?? {};
      const desired = num(recordAt(o, 'spec')?.['replicas']);
      return [
        name(o),
        `${num(s['readyReplicas'])}/${desired}`,
        num(s['updatedReplicas']),
        num(s['availableReplicas']),
        age(o),
        ...containersAndImages(o),
        workloadSelector(o),
      ];
    },
  },
  ReplicaSet: {
    columns: workloadColumns([
      column('Desired', 'integer', 'Replicas is the number of desired replicas.'),
      column('Current', 'integer', 'Replicas is the most recently observed number of replicas.'),
      column('Ready', 'integer', 'The number of ready replicas for this replica set.'),
    ]),
    cells: (o) => {
      const s = recordAt(o, 'status') ?? {};
      return [
        name(o),
        num(recordAt(o, 'spec')?.['replicas']),
        num(s['replicas']),
        num(s['readyReplicas']),
        age(o),
        ...containersAndImages(o),
        workloadSelector(o),
      ];
    },
  },
};
