import { compileGlobs } from '../../../src/masking/glob.ts';
import { isJsonObject, type JsonValue, MaskTally } from '../../../src/masking/mask-core.ts';
import { DEFAULT_ENV_NAMES, type MaskingRules } from '../../../src/masking/policy.ts';
import { maskDocument } from '../../masking/mask-object.ts';

/**
 * Masking for what a preview stores. The caller's rules (what the agent would see), raised to a
 * floor, because a preview is written to Redis and shown in chat and Secret values must never
 * reach either: Secret data is always masked, and env values by name at least (a rule with
 * `env.mode: never` becomes `byName` with the default names). Masks a copy; the input is kept.
 */
export function previewRules(caller: MaskingRules): MaskingRules {
  const env =
    caller.env.mode === 'never'
      ? { mode: 'byName' as const, names: compileGlobs(DEFAULT_ENV_NAMES, { caseInsensitive: true }) }
      : caller.env;
  return { ...caller, secrets: true, env, source: `${caller.source} (preview floor)` };
}

export function maskedCopy(doc: JsonValue, kindHint: string, rules: MaskingRules): JsonValue {
  const copy = structuredClone(doc);
  if (isJsonObject(copy)) maskDocument(copy, kindHint, rules, new MaskTally());
  return copy;
}
