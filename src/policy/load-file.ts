import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { type Document, isMap } from 'yaml';
import { ConfigError } from '../errors.ts';
import { loadPolicy, PolicyYaml } from './load.ts';
import type { CompiledPolicy } from './policy.types.ts';

/**
 * Loads a policy from a file. The file may be:
 * - a policy: top-level `default`, `builtinDiscovery` and/or `rules`;
 * - a gateway config that embeds one under `policy:` (errors name `policy.rules[0]…`);
 * - a gateway config that references one with `policyFile:`, resolved relative to the config
 *   file's directory. The referenced file must itself be a policy, not another config.
 * A config with neither `policy:` nor `policyFile:` is refused, as is one with both.
 *
 * Every error is a {@link ConfigError} whose field starts with the file name, so `policy check`
 * can print it as is. Each file is read and parsed once.
 */
export async function loadPolicyFile(path: string): Promise<CompiledPolicy> {
  const yaml = new PolicyYaml(await readText(path, path));
  const top = topLevelKeys(yaml.doc);
  if (top.has('policy') || top.has('policyFile')) {
    return policyOfConfig(path, yaml.doc.toJS({ maxAliasCount: 100 }) as Record<string, unknown>);
  }
  if (top.size > 0 && !top.has('rules') && !top.has('default') && !top.has('builtinDiscovery')) {
    const keys = [...top].slice(0, 5).join(', ');
    throw new ConfigError(
      `${path}: (file)`,
      `no policy found (top-level keys: ${keys}); expected a policy (rules:, default:) or a gateway ` +
        'config with policy: or policyFile:',
    );
  }
  return loadPolicy(yaml, { source: path });
}

/**
 * The policy of the gateway config at `path`, whose YAML the caller has parsed already (as is,
 * before any `${ENV}` expansion: a policy is never expanded). Embedded under `policy:` or
 * referenced by `policyFile:`; both, or neither, is an error.
 */
export async function policyOfConfig(path: string, config: Record<string, unknown>): Promise<CompiledPolicy> {
  const embeds = Object.hasOwn(config, 'policy');
  const references = Object.hasOwn(config, 'policyFile');
  if (embeds && references) {
    throw new ConfigError(`${path}: policyFile`, 'set either policy: (inline) or policyFile:, not both');
  }
  if (embeds) return loadPolicy(config['policy'], { source: path, fieldPrefix: 'policy' });
  const target = config['policyFile'];
  if (typeof target !== 'string' || target === '') {
    throw new ConfigError(`${path}: policyFile`, 'must be the path of a policy file');
  }
  const policyPath = resolve(dirname(path), target);
  const yaml = new PolicyYaml(await readText(policyPath, `${path}: policyFile`));
  if (topLevelKeys(yaml.doc).has('policyFile')) {
    throw new ConfigError(`${policyPath}: policyFile`, 'a policy file cannot reference another one');
  }
  return loadPolicy(yaml, { source: policyPath });
}

async function readText(path: string, field: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : String(error);
    throw new ConfigError(field, `cannot read ${path}: ${why}`);
  }
}

/** The top-level mapping keys of a YAML document; empty for syntax errors (loadPolicy reports those). */
function topLevelKeys(doc: Document): Set<string> {
  if (doc.errors.length > 0 || !isMap(doc.contents)) return new Set();
  return new Set(
    doc.contents.items.map((pair) => String((pair.key as { value?: unknown } | null)?.value ?? pair.key)),
  );
}
