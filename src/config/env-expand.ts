import { ConfigError } from '../errors.ts';

/**
 * Replaces `${NAME}` in every string of a parsed YAML document with the environment variable NAME,
 * so secrets stay out of config files. `$${` escapes a literal `${`. A missing variable is an error
 * that names the field, not an empty string that fails later in a confusing way.
 */
export function expandEnv(value: unknown, env: NodeJS.ProcessEnv, path = ''): unknown {
  if (typeof value === 'string') return expandString(value, env, path);
  if (Array.isArray(value)) return value.map((item, i) => expandEnv(item, env, `${path}[${i}]`));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value))
      out[key] = expandEnv(item, env, path ? `${path}.${key}` : key);
    return out;
  }
  return value;
}

function expandString(text: string, env: NodeJS.ProcessEnv, path: string): string {
  return text.replace(/\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, escaped: string, name: string) => {
    if (escaped) return whole.slice(1);
    const found = env[name];
    if (found === undefined)
      throw new ConfigError(path || '(root)', `environment variable ${name} is not set`);
    return found;
  });
}
