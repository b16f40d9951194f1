/**
 * Literal environment values in pod specs: `env[].value` of every container, init container and
 * ephemeral container, in a Pod and in every workload's pod template. `valueFrom` references
 * (secretKeyRef, configMapKeyRef) carry no value and stay as they are: they tell an agent where
 * a value comes from without revealing it.
 *
 * Where each kind keeps its pod spec (k8s.io/api): Pod `spec`; PodTemplate `template.spec`;
 * Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, ReplicationController
 * `spec.template.spec`; CronJob `spec.jobTemplate.spec.template.spec`.
 */
import {
  isJsonObject,
  type JsonObject,
  MASK_MARKER,
  type MaskTally,
  objectAt,
} from '../../src/masking/mask-core.ts';
import type { MaskingRules } from '../../src/masking/policy.ts';

const POD_SPEC_PATHS: Readonly<Record<string, readonly string[]>> = {
  Pod: ['spec'],
  PodTemplate: ['template', 'spec'],
  Deployment: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  ReplicationController: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

const CONTAINER_LISTS = ['containers', 'initContainers', 'ephemeralContainers'] as const;

/** True for the kinds that carry a pod spec. */
export function hasPodSpec(kind: string): boolean {
  return Object.hasOwn(POD_SPEC_PATHS, kind);
}

/** Where objects of `kind` keep their pod spec (`['spec', 'template', 'spec']`), if they have one. */
export function podSpecPath(kind: string): readonly string[] | undefined {
  return hasPodSpec(kind) ? POD_SPEC_PATHS[kind] : undefined;
}

/** The env lists of a pod spec, by field name. */
export const ENV_CONTAINER_LISTS = CONTAINER_LISTS;

function podSpecOf(object: JsonObject, kind: string): JsonObject | undefined {
  let node: JsonObject | undefined = object;
  for (const key of POD_SPEC_PATHS[kind] ?? []) node = objectAt(node, key);
  return node;
}

/** Masks the literal env values of one pod-spec-bearing object in place, as `rules.env` says. */
export function maskPodEnv(object: JsonObject, kind: string, rules: MaskingRules, tally: MaskTally): void {
  const { mode, names } = rules.env;
  if (mode === 'never') return;
  const spec = podSpecOf(object, kind);
  if (spec === undefined) return;
  for (const list of CONTAINER_LISTS) {
    const containers = spec[list];
    if (!Array.isArray(containers)) continue;
    for (const container of containers) {
      const env = isJsonObject(container) ? container['env'] : undefined;
      if (!Array.isArray(env)) continue;
      for (const entry of env) {
        if (!isJsonObject(entry) || !Object.hasOwn(entry, 'value')) continue;
        const name = typeof entry['name'] === 'string' ? entry['name'] : '';
        if (mode === 'byName' && !names.test(name)) continue;
        tally.replaced(entry['value'] ?? null, 'text');
        entry['value'] = MASK_MARKER;
      }
    }
  }
}
