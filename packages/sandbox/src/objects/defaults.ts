/**
 * Defaulting, as the apiserver's per-type defaulters and the kubelet would leave objects: enough
 * that `kubectl get`/`describe` show a realistic cluster (pods Running and Ready on a node with an
 * IP, services with a cluster IP, namespaces Active, deployments with a strategy).
 *
 * `defaultObject` runs on every write; the status it sets for pods is only used on create (the
 * caller keeps stored status on update, as the status subresource rules say).
 */
import { ensureRecord, isRecord, type KubeObject, metaOf, recordsAt, timestamp } from './meta.ts';

let nextPodIp = 10;
let nextServiceIp = 10;
let nextNodePort = 80;

function defaultContainer(container: Record<string, unknown>): void {
  const image = String(container['image'] ?? '');
  const tagless = !image.includes(':') || image.endsWith(':latest');
  container['imagePullPolicy'] ??= tagless ? 'Always' : 'IfNotPresent';
  container['terminationMessagePath'] ??= '/dev/termination-log';
  container['terminationMessagePolicy'] ??= 'File';
  container['resources'] ??= {};
  for (const port of recordsAt(container, 'ports')) port['protocol'] ??= 'TCP';
}

/** PodSpec defaults (shared by pods and the pod templates of deployments and replica sets). */
export function defaultPodSpec(spec: Record<string, unknown>): void {
  for (const c of [...recordsAt(spec, 'containers'), ...recordsAt(spec, 'initContainers')])
    defaultContainer(c);
  spec['restartPolicy'] ??= 'Always';
  spec['terminationGracePeriodSeconds'] ??= 30;
  spec['dnsPolicy'] ??= 'ClusterFirst';
  spec['serviceAccountName'] ??= 'default';
  spec['securityContext'] ??= {};
  spec['schedulerName'] ??= 'default-scheduler';
  spec['enableServiceLinks'] ??= true;
  spec['preemptionPolicy'] ??= 'PreemptLowerPriority';
  spec['priority'] ??= 0;
}

/** The status a freshly scheduled, healthy pod reports: Running, every container ready. */
export function runningPodStatus(pod: KubeObject): Record<string, unknown> {
  const now = timestamp();
  const containers = recordsAt(pod, 'spec', 'containers');
  const ready = { status: 'True', lastProbeTime: null, lastTransitionTime: now };
  const podIp = `10.244.${Math.floor(nextPodIp / 250) % 250}.${(nextPodIp++ % 250) + 1}`;
  return {
    phase: 'Running',
    conditions: ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({
      type,
      ...ready,
    })),
    hostIP: '172.18.0.2',
    hostIPs: [{ ip: '172.18.0.2' }],
    podIP: podIp,
    podIPs: [{ ip: podIp }],
    startTime: now,
    qosClass: 'BestEffort',
    containerStatuses: containers.map((c) => ({
      name: c['name'],
      image: c['image'],
      imageID: `${String(c['image']).includes('/') ? '' : 'docker.io/library/'}${String(c['image']).split(':')[0]}@sha256:${'0'.repeat(64)}`,
      containerID: `containerd://${Math.random().toString(16).slice(2).padEnd(16, '0')}`,
      ready: true,
      started: true,
      restartCount: 0,
      state: { running: { startedAt: now } },
      lastState: {},
    })),
  };
}

function defaultService(object: KubeObject): void {
  const spec = ensureRecord(object, 'spec');
  spec['type'] ??= 'ClusterIP';
  if (spec['type'] !== 'ExternalName' && spec['clusterIP'] === undefined) {
    const ip = `10.96.${Math.floor(nextServiceIp / 250)}.${(nextServiceIp++ % 250) + 1}`;
    spec['clusterIP'] = ip;
    spec['clusterIPs'] = [ip];
  }
  spec['sessionAffinity'] ??= 'None';
  spec['ipFamilies'] ??= ['IPv4'];
  spec['ipFamilyPolicy'] ??= 'SingleStack';
  spec['internalTrafficPolicy'] ??= 'Cluster';
  const exposed = spec['type'] === 'NodePort' || spec['type'] === 'LoadBalancer';
  for (const port of recordsAt(object, 'spec', 'ports')) {
    port['protocol'] ??= 'TCP';
    port['targetPort'] ??= port['port'];
    if (exposed) port['nodePort'] ??= 30000 + (nextNodePort++ % 2768);
  }
  object['status'] ??= { loadBalancer: {} };
}

function defaultSecret(object: KubeObject): void {
  object['type'] ??= 'Opaque';
  const stringData = object['stringData'];
  if (isRecord(stringData)) {
    const data = ensureRecord(object, 'data');
    for (const [k, v] of Object.entries(stringData)) data[k] = Buffer.from(String(v)).toString('base64');
    delete object['stringData'];
  }
}

function defaultWorkload(object: KubeObject): void {
  const spec = ensureRecord(object, 'spec');
  spec['replicas'] ??= 1;
  const template = ensureRecord(spec, 'template');
  defaultPodSpec(ensureRecord(template, 'spec'));
  if (object['kind'] === 'Deployment') {
    spec['revisionHistoryLimit'] ??= 10;
    spec['progressDeadlineSeconds'] ??= 600;
    spec['strategy'] ??= { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } };
  }
}

/** Applies the defaults of `object`'s kind in place. */
export function defaultObject(object: KubeObject): void {
  switch (object['kind']) {
    case 'Namespace': {
      const meta = metaOf(object);
      meta.labels = { ...meta.labels, 'kubernetes.io/metadata.name': meta.name ?? '' };
      object['spec'] ??= { finalizers: ['kubernetes'] };
      object['status'] ??= { phase: 'Active' };
      break;
    }
    case 'Pod':
      defaultPodSpec(ensureRecord(object, 'spec'));
      ensureRecord(object, 'spec')['nodeName'] ??= 'sandbox-node';
      break;
    case 'Service':
      defaultService(object);
      break;
    case 'Secret':
      defaultSecret(object);
      break;
    case 'Deployment':
    case 'ReplicaSet':
      defaultWorkload(object);
      break;
  }
}
