/**
 * The masking policy: what each caller may see unmasked. The gateway config embeds
 * `maskingPolicySchema` under `masking:`; `compileMaskingPolicy` validates it, fills defaults and
 * compiles every glob to a RegExp once, so choosing a caller's rules per request is a short loop.
 *
 * ```yaml
 * masking:
 *   rules:                      # first rule whose groups match the caller wins
 *     - groups: [break-glass]
 *       secrets: false          # sees raw Secret values (the gateway records that)
 *     - groups: ["*"]
 *       env: { mode: byName, names: ["*PASSWORD*", "*TOKEN*"] }
 *       configMaps: [{ namespace: payments, name: "*", keys: ["*password*"] }]
 *       logs: { detectors: [awsAccessKey, privateKey, jwt, assignment] }
 *   default: {}                 # the rule for callers no rule matches (same fields, no groups)
 *   limits: { maxObjectBytes: 16777216, maxLineBytes: 65536, partialLineFlushMs: 1000 }
 * ```
 *
 * Safe by default: a field a rule leaves out takes the masking default, not "raw". So the
 * break-glass rule above still has env values and logs masked; it only sees Secret values.
 */
import { z } from 'zod';
import type { Caller } from '../authn/caller.ts';
import { ConfigError } from '../errors.ts';
import { compileGlobs, type GlobMatcher } from './glob.ts';
import { DETECTOR_NAMES, type DetectorName } from './text-detectors.ts';

/** Env names masked under `mode: byName` unless the rule lists its own. Matched case-insensitively. */
export const DEFAULT_ENV_NAMES = ['*PASSWORD*', '*PASSWD*', '*TOKEN*', '*KEY*', '*SECRET*', '*CREDENTIAL*'];

const envSchema = z.strictObject({
  mode: z.enum(['always', 'byName', 'never']).default('byName'),
  names: z.array(z.string().min(1)).default(DEFAULT_ENV_NAMES),
});

const configMapSchema = z.strictObject({
  namespace: z.string().min(1).default('*'),
  name: z.string().min(1).default('*'),
  keys: z.array(z.string().min(1)).min(1).default(['*']),
});

const logsSchema = z.strictObject({
  detectors: z.array(z.enum(DETECTOR_NAMES)).default([...DETECTOR_NAMES]),
  /** Also mask, in logs, the Secret values the gateway has seen in this session. */
  secretValues: z.boolean().default(true),
});

const ruleFields = {
  secrets: z.boolean().default(true),
  env: envSchema.prefault({}),
  configMaps: z.array(configMapSchema).default([]),
  logs: logsSchema.prefault({}),
};

export const maskingPolicySchema = z.strictObject({
  rules: z.array(z.strictObject({ groups: z.array(z.string().min(1)).min(1), ...ruleFields })).default([]),
  default: z.strictObject(ruleFields).prefault({}),
  limits: z
    .strictObject({
      /** Largest single object (or list element, or watch event) buffered to mask; beyond: 502. */
      maxObjectBytes: z
        .number()
        .int()
        .min(1024)
        .default(16 * 1024 * 1024),
      /** Longest log line held while waiting for its newline; beyond, it is masked and flushed. */
      maxLineBytes: z
        .number()
        .int()
        .min(256)
        .default(64 * 1024),
      /** In `logs -f`, how long a partial line may wait for its newline before it is flushed. */
      partialLineFlushMs: z.number().int().min(0).default(1000),
    })
    .prefault({}),
});

export type MaskingPolicyInput = z.input<typeof maskingPolicySchema>;
export type MaskingPolicyConfig = z.output<typeof maskingPolicySchema>;
export type EnvMaskMode = 'always' | 'byName' | 'never';
export type MaskingLimits = MaskingPolicyConfig['limits'];

/** One ConfigMap rule: a ConfigMap matching namespace and name has its matching keys masked. */
export interface ConfigMapMatcher {
  readonly namespace: GlobMatcher;
  readonly name: GlobMatcher;
  readonly keys: GlobMatcher;
}

/** What one caller gets masked. `source` names the rule, for explanations and the recording. */
export interface MaskingRules {
  readonly source: string;
  readonly secrets: boolean;
  readonly env: { readonly mode: EnvMaskMode; readonly names: GlobMatcher };
  readonly configMaps: readonly ConfigMapMatcher[];
  readonly logs: { readonly detectors: ReadonlySet<DetectorName>; readonly secretValues: boolean };
}

export interface CompiledMaskingPolicy {
  readonly rules: readonly { readonly groups: GlobMatcher; readonly rules: MaskingRules }[];
  readonly defaultRules: MaskingRules;
  readonly limits: MaskingLimits;
}

type RuleConfig = MaskingPolicyConfig['default'];

function compileRule(source: string, rule: RuleConfig): MaskingRules {
  return {
    source,
    secrets: rule.secrets,
    env: { mode: rule.env.mode, names: compileGlobs(rule.env.names, { caseInsensitive: true }) },
    configMaps: rule.configMaps.map((c) => ({
      namespace: compileGlobs([c.namespace]),
      name: compileGlobs([c.name]),
      keys: compileGlobs(c.keys, { caseInsensitive: true }),
    })),
    logs: { detectors: new Set(rule.logs.detectors), secretValues: rule.logs.secretValues },
  };
}

/**
 * Validates `input` (the value under `masking:`; absent means all defaults) and compiles it.
 * Throws a `ConfigError` naming the first offending field, e.g. `masking.rules[0].env.mode`.
 */
export function compileMaskingPolicy(input: unknown): CompiledMaskingPolicy {
  const parsed = maskingPolicySchema.safeParse(input ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = (issue?.path ?? [])
      .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
      .join('');
    throw new ConfigError(`masking${path}`, issue?.message ?? 'invalid masking policy');
  }
  const config = parsed.data;
  return {
    rules: config.rules.map((rule, i) => ({
      groups: compileGlobs(rule.groups),
      rules: compileRule(`masking.rules[${i}]`, rule),
    })),
    defaultRules: compileRule('masking.default', config.default),
    limits: config.limits,
  };
}

/**
 * The rules for `caller`: the first rule one of whose group globs matches one of the caller's
 * groups (a `*` glob matches every caller, even one without groups), else the default rule.
 */
export function maskingRulesFor(policy: CompiledMaskingPolicy, caller: Caller): MaskingRules {
  for (const entry of policy.rules) {
    if (entry.groups.test('') || caller.groups.some((group) => entry.groups.test(group))) return entry.rules;
  }
  return policy.defaultRules;
}
