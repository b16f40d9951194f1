import { type Document, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors.ts';
import { builtinDiscoveryRule, builtinSelfReviewRules } from './builtin-discovery.ts';
import { compileRule } from './compile-rule.ts';
import type { CompiledPolicy, CompiledRule } from './policy.types.ts';
import { resourceWarnings } from './resource-warnings.ts';
import { KNOWN_FIELDS, policySchema } from './schema.ts';

/**
 * Turns policy YAML (or an already-parsed object, e.g. the `policy:` section of the gateway config)
 * into a {@link CompiledPolicy}, or throws one {@link ConfigError} naming the first broken field:
 * `rules[2].match.verbs[0]: unknown verb "destroy"; verbs: get, list, …` (with `(line 14)` when
 * the input was YAML text). Nothing is compiled lazily: a policy that loads can be evaluated.
 */
export interface LoadPolicyOptions {
  /** A file name; when set, every error's field reads `<source>: <field>`. */
  source?: string;
  /** Prepended to every field path, e.g. `policy` for the section of the gateway config. */
  fieldPrefix?: string;
}

type Path = readonly PropertyKey[];

function formatPath(path: Path): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

type Locate = (path: Path, message: string) => ConfigError;

/**
 * Builds the error factory: field path with the configured prefix and source, plus the line of the
 * deepest YAML node that exists on the path when the input was text.
 */
function locator(options: LoadPolicyOptions, doc?: Document, lines?: LineCounter): Locate {
  const lineOf = (path: Path): number | undefined => {
    if (!doc || !lines) return undefined;
    for (let depth = path.length; depth >= 0; depth--) {
      const node: unknown = doc.getIn(path.slice(0, depth), true);
      if (hasRange(node)) return lines.linePos(node.range[0]).line;
    }
    return undefined;
  };
  return (path, message) => {
    const relative = formatPath(path);
    const prefix = options.fieldPrefix ?? '';
    const joiner = relative.startsWith('[') ? '' : '.';
    let field = (prefix && relative ? `${prefix}${joiner}${relative}` : prefix || relative) || '(policy)';
    if (options.source) field = `${options.source}: ${field}`;
    const line = lineOf(path);
    return new ConfigError(field, line === undefined ? message : `${message} (line ${line})`);
  };
}

function hasRange(node: unknown): node is { range: [number, number, number] } {
  return typeof node === 'object' && node !== null && Array.isArray((node as { range?: unknown }).range);
}

function issueError(locate: Locate, issue: z.core.$ZodIssue): ConfigError {
  if (issue.code === 'unrecognized_keys') {
    const shape = formatPath(issue.path).replace(/\[\d+\]/g, '[]');
    const known = KNOWN_FIELDS[shape];
    const key = issue.keys[0] ?? '';
    const hint = known ? `; expected one of: ${known.join(', ')}` : '';
    return locate([...issue.path, key], `unknown field${hint}`);
  }
  return locate(issue.path, issue.message);
}

/**
 * Policy YAML parsed once, with the line positions error messages cite. A caller that must look
 * at the document before loading it (load-file.ts) parses it with this and hands it on, so the
 * text is not parsed again.
 */
export class PolicyYaml {
  readonly doc: Document;
  readonly lines: LineCounter;

  constructor(text: string) {
    this.lines = new LineCounter();
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: true, uniqueKeys: true });
  }
}

/**
 * Parses (unless given {@link PolicyYaml}), validates and compiles a policy; any other input is
 * taken as already parsed. Throws {@link ConfigError}.
 */
export function loadPolicy(input: unknown, options: LoadPolicyOptions = {}): CompiledPolicy {
  let locate = locator(options);
  let value = input;
  const yaml = typeof input === 'string' ? new PolicyYaml(input) : input;
  if (yaml instanceof PolicyYaml) {
    const [syntax] = yaml.doc.errors;
    if (syntax) throw locate([], `not valid YAML: ${syntax.message.split('\n')[0]?.replace(/:$/, '')}`);
    locate = locator(options, yaml.doc, yaml.lines);
    value = yaml.doc.toJS({ maxAliasCount: 100 });
  }
  if (value === null || value === undefined) {
    throw locate([], 'the policy is empty; write at least `default: deny` and a list of rules:');
  }
  const parsed = policySchema.safeParse(value);
  if (!parsed.success) {
    const [first] = parsed.error.issues;
    throw first ? issueError(locate, first) : locate([], 'is not a valid policy');
  }
  const document = parsed.data;
  const seen = new Map<string, number>();
  const rules: CompiledRule[] = document.rules.map((rule, index) => {
    const earlier = seen.get(rule.name);
    if (earlier !== undefined) {
      throw locate(
        ['rules', index, 'name'],
        `duplicate rule name ${JSON.stringify(rule.name)} (also rules[${earlier}])`,
      );
    }
    seen.set(rule.name, index);
    return compileRule(rule, (path, message) => {
      throw locate(['rules', index, ...splitPath(path)], message);
    });
  });
  const evaluated = document.builtinDiscovery
    ? [...rules, builtinDiscoveryRule(), ...builtinSelfReviewRules()]
    : rules;
  const warnings = document.rules.flatMap((rule, index) =>
    resourceWarnings(rule.match ?? {}).map(
      (w) => locate(['rules', index, 'match', 'resources', w.index], w.message).message,
    ),
  );
  const policy: CompiledPolicy = {
    default: document.default,
    builtinDiscovery: document.builtinDiscovery,
    rules,
    evaluated,
    warnings,
  };
  if (options.source) policy.source = options.source;
  if (document.allowUnrecordedStreams) policy.allowUnrecordedStreams = true;
  return policy;
}

/** `match.verbs[0]` → `['match', 'verbs', 0]`. */
function splitPath(path: string): PropertyKey[] {
  const keys: PropertyKey[] = [];
  for (const [, name, index] of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    keys.push(index === undefined ? (name as string) : Number(index));
  }
  return keys;
}
