import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { isMap, parseDocument } from 'yaml';
import { ConfigError } from '../errors.ts';
import { loadPolicy } from './load.ts';
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
 * can print it as is.
 */
export async function loadPolicyFile(path: string): Promise<CompiledPolicy> {
  const text = await readText(path, path);
  const top = topLevelKeys(text);
  const embeds = top.has('policy');
  const references = top.has('policyFile');
  if (embeds && references) {
    throw new ConfigError(`${path}: policyFile`, 'set either policy: (inline) or policyFile:, not both');
  }
  if (embeds) {
    const config = parseDocument(text).toJS({ maxAliasCount: 100 }) as Record<string, unknown>;
    return loadPolicy(config['policy'], { source: path, fieldPrefix: 'policy' });
  }
  if (references) {
    const config = parseDocument(text).toJS({ maxAliasCount: 100 }) as Record<string, unknown>;
    const target = config['policyFile'];
    if (typeof target !== 'string' || target === '') {
      throw new ConfigError(`${path}: policyFile`, 'must be the path of a policy file');
    }
    const policyPath = resolve(dirname(path), target);
    const policyText = await readText(policyPath, `${path}: policyFile`);
    if (topLevelKeys(policyText).has('policyFile')) {
      throw new ConfigError(`${policyPath}: policyFile`, 'a policy file cannot reference another one');
    }
    return loadPolicy(policyText, { source: policyPath });
  }
  if (top.size > 0 && !top.has('rules') && !top.has('default') && !top.has('builtinDiscovery')) {
    const keys = [...top].slice(0, 5).join(', ');
    throw new ConfigError(
      `${path}: (file)`,
      `no policy found (top-level keys: ${keys}); expected a policy (rules:, default:) or a gateway ` +
        'config with policy: or policyFile:',
    );
  }
  return loadPolicy(text, { source: path });
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

/** The top-level mapping keys of a YAML text; empty for syntax errors (loadPolicy reports those). */
function topLevelKeys(text: string): Set<string> {
  const doc = parseDocument(text);
  if (doc.errors.length > 0 || !isMap(doc.contents)) return new Set();
  return new Set(
    doc.contents.items.map((pair) => String((pair.key as { value?: unknown } | null)?.value ?? pair.key)),
  );
}
