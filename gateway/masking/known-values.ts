/**
 * The values the gateway already knows to be secret for one pod, for masking exec/attach output
 * by exact match (masking/exec-output.ts) — so `printenv NAME` or `echo $NAME` shows the marker
 * like `env` does, whatever the command prints them in.
 *
 * What counts, under the caller's masking rules, exactly as a read of each object would mask it:
 * - the pod's literal `env[].value`s that `get pod` masks for the caller (pod-env.ts);
 * - every value of the Secrets the pod references (env `secretKeyRef`, `envFrom.secretRef`,
 *   `secret` and projected volumes), when the rules mask Secrets;
 * - the values of the masked keys of the ConfigMaps the pod references the same ways, when a
 *   `configMaps` rule names them.
 *
 * Pure: the objects are fetched elsewhere (upstream/exec-known-values.ts). The collectors run the
 * same masking functions as a response would, on the caller's copy, with a tally that keeps the
 * plain values. Values shorter than `MIN_LITERAL_LENGTH` (4) are dropped by the line masker:
 * masking every `on` or `80` in a shell session would wreck it and hide nothing guessable.
 */
import { isJsonObject, type JsonObject, MaskTally, objectAt, stringAt } from '../../src/masking/mask-core.ts';
import type { MaskingRules } from '../../src/masking/policy.ts';
import { configMapRulesFor, maskConfigMap, maskSecret } from './data-maps.ts';
import { maskPodEnv } from './pod-env.ts';

/** The most Secrets or ConfigMaps fetched for one exec: a pod referencing more is unusual. */
export const MAX_REFERENCED = 16;

export interface PodReferences {
  secrets: string[];
  configMaps: string[];
}

const CONTAINER_LISTS = ['containers', 'initContainers', 'ephemeralContainers'] as const;

function arrayAt(value: unknown, key: string): unknown[] {
  const child = isJsonObject(value) ? value[key] : undefined;
  return Array.isArray(child) ? child : [];
}

/** Names of the Secrets and ConfigMaps the pod reads values from. */
function referencedNames(pod: JsonObject): PodReferences {
  const secrets = new Set<string>();
  const configMaps = new Set<string>();
  const add = (set: Set<string>, name: string | undefined): void => {
    if (name) set.add(name);
  };
  const spec = objectAt(pod, 'spec');
  for (const list of CONTAINER_LISTS) {
    for (const container of arrayAt(spec, list)) {
      for (const entry of arrayAt(container, 'env')) {
        const from = objectAt(entry, 'valueFrom');
        add(secrets, stringAt(objectAt(from, 'secretKeyRef'), 'name'));
        add(configMaps, stringAt(objectAt(from, 'configMapKeyRef'), 'name'));
      }
      for (const entry of arrayAt(container, 'envFrom')) {
        add(secrets, stringAt(objectAt(entry, 'secretRef'), 'name'));
        add(configMaps, stringAt(objectAt(entry, 'configMapRef'), 'name'));
      }
    }
  }
  for (const volume of arrayAt(spec, 'volumes')) {
    add(secrets, stringAt(objectAt(volume, 'secret'), 'secretName'));
    add(configMaps, stringAt(objectAt(volume, 'configMap'), 'name'));
    for (const source of arrayAt(objectAt(volume, 'projected'), 'sources')) {
      add(secrets, stringAt(objectAt(source, 'secret'), 'name'));
      add(configMaps, stringAt(objectAt(source, 'configMap'), 'name'));
    }
  }
  return { secrets: [...secrets], configMaps: [...configMaps] };
}

/**
 * The Secrets and ConfigMaps worth fetching for `pod` under `rules`: Secrets only when the rules
 * mask them, ConfigMaps only when a rule names them; at most `MAX_REFERENCED` of each.
 */
export function podReferences(pod: JsonObject, namespace: string, rules: MaskingRules): PodReferences {
  const { secrets, configMaps } = referencedNames(pod);
  return {
    secrets: rules.secrets ? secrets.slice(0, MAX_REFERENCED) : [],
    configMaps: configMaps
      .filter((name) => configMapRulesFor(rules, namespace, name).length > 0)
      .slice(0, MAX_REFERENCED),
  };
}

/** The plain values a read of `object` (a Pod, Secret or ConfigMap) masks for the caller. */
export function maskedValuesOf(
  kind: 'Pod' | 'Secret' | 'ConfigMap',
  object: JsonObject,
  rules: MaskingRules,
): string[] {
  const values: string[] = [];
  const tally = new MaskTally((plain) => values.push(plain));
  if (kind === 'Pod') maskPodEnv(object, 'Pod', rules, tally);
  else if (kind === 'Secret') {
    if (rules.secrets) maskSecret(object, tally);
  } else maskConfigMap(object, rules, tally);
  return values;
}
