/**
 * Label and field selectors with kube-apiserver's grammar (k8s.io/apimachinery/pkg/labels and
 * pkg/fields):
 *
 *   labelSelector:  `app=web`, `app==web`, `tier!=db`, `env in (a,b)`, `env notin (a)`, `app`,
 *                   `!app`, `replicas>1`, `replicas<3`, comma-separated (all must hold)
 *   fieldSelector:  `metadata.name=x`, `metadata.namespace==y`, `status.phase!=Running`
 *
 * Parsing errors throw a BadRequest StatusError, as the apiserver answers 400 for them. Field
 * selectors resolve any dotted path on the object (the real server supports a fixed list per
 * type; accepting more is harmless here and lets describe's `involvedObject.*` queries through).
 */
import { badRequest } from '../errors.ts';
import { isRecord, type KubeObject, labelsOf } from '../objects/meta.ts';

export type LabelOperator = 'equals' | 'notEquals' | 'in' | 'notIn' | 'exists' | 'doesNotExist' | 'gt' | 'lt';

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  values: string[];
}

const KEY = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?$/;
const VALUE = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?)?$/;

/** Splits on commas that are not inside parentheses. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

function checkKey(key: string, whole: string): string {
  if (!KEY.test(key))
    throw badRequest(`unable to parse requirement: invalid label key "${key}" in "${whole}"`);
  return key;
}

function checkValue(value: string, whole: string): string {
  if (!VALUE.test(value) || value.length > 63) {
    throw badRequest(`unable to parse requirement: invalid label value: "${value}" in "${whole}"`);
  }
  return value;
}

function parseRequirement(part: string): LabelRequirement {
  const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(part);
  if (set) {
    const values = (set[3] ?? '').split(',').map((v) => checkValue(v.trim(), part));
    const operator = set[2] === 'in' ? 'in' : 'notIn';
    return { key: checkKey(set[1] ?? '', part), operator, values };
  }
  const binary = /^([^=!<>\s]+)\s*(==|=|!=|>|<)\s*(.*)$/.exec(part);
  if (binary) {
    const op = binary[2];
    const key = checkKey(binary[1] ?? '', part);
    const value = (binary[3] ?? '').trim();
    if (op === '>' || op === '<') {
      if (!/^-?\d+$/.test(value)) throw badRequest(`unable to parse requirement: "${part}": not an integer`);
      return { key, operator: op === '>' ? 'gt' : 'lt', values: [value] };
    }
    return { key, operator: op === '!=' ? 'notEquals' : 'equals', values: [checkValue(value, part)] };
  }
  if (part.startsWith('!'))
    return { key: checkKey(part.slice(1).trim(), part), operator: 'doesNotExist', values: [] };
  return { key: checkKey(part, part), operator: 'exists', values: [] };
}

/** Parses a labelSelector query value; the empty string selects everything. */
export function parseLabelSelector(text: string): LabelRequirement[] {
  return splitTopLevel(text).map(parseRequirement);
}

/** Converts a metav1.LabelSelector (matchLabels + matchExpressions), as in a Deployment's spec. */
export function fromLabelSelectorObject(selector: unknown): LabelRequirement[] {
  if (!isRecord(selector)) return [];
  const requirements: LabelRequirement[] = [];
  if (isRecord(selector['matchLabels'])) {
    for (const [key, value] of Object.entries(selector['matchLabels'])) {
      requirements.push({ key, operator: 'equals', values: [String(value)] });
    }
  }
  const expressions = Array.isArray(selector['matchExpressions']) ? selector['matchExpressions'] : [];
  const ops: Record<string, LabelOperator> = {
    In: 'in',
    NotIn: 'notIn',
    Exists: 'exists',
    DoesNotExist: 'doesNotExist',
  };
  for (const e of expressions.filter(isRecord)) {
    const operator = ops[String(e['operator'])];
    if (!operator) continue;
    const values = Array.isArray(e['values']) ? e['values'].map(String) : [];
    requirements.push({ key: String(e['key']), operator, values });
  }
  return requirements;
}

/** Renders requirements back to the string form (`app=web,tier in (a,b)`), as Scale.status.selector does. */
export function formatLabelSelector(requirements: LabelRequirement[]): string {
  const render: Record<LabelOperator, (r: LabelRequirement) => string> = {
    equals: (r) => `${r.key}=${r.values[0]}`,
    notEquals: (r) => `${r.key}!=${r.values[0]}`,
    in: (r) => `${r.key} in (${r.values.join(',')})`,
    notIn: (r) => `${r.key} notin (${r.values.join(',')})`,
    exists: (r) => r.key,
    doesNotExist: (r) => `!${r.key}`,
    gt: (r) => `${r.key}>${r.values[0]}`,
    lt: (r) => `${r.key}<${r.values[0]}`,
  };
  return requirements.map((r) => render[r.operator](r)).join(',');
}

/** True when `labels` satisfies every requirement. */
export function matchesLabels(requirements: LabelRequirement[], labels: Record<string, string>): boolean {
  return requirements.every((r) => {
    const has = Object.hasOwn(labels, r.key);
    const value = labels[r.key];
    switch (r.operator) {
      case 'equals':
        return has && value === r.values[0];
      case 'notEquals':
        return !has || value !== r.values[0];
      case 'in':
        return has && r.values.includes(value ?? '');
      case 'notIn':
        return !has || !r.values.includes(value ?? '');
      case 'exists':
        return has;
      case 'doesNotExist':
        return !has;
      case 'gt':
      case 'lt': {
        const n = Number(value);
        if (!has || !Number.isInteger(n)) return false;
        return r.operator === 'gt' ? n > Number(r.values[0]) : n < Number(r.values[0]);
      }
    }
    return false;
  });
}

export interface FieldRequirement {
  field: string;
  equal: boolean;
  value: string;
}

/** Parses a fieldSelector query value; the empty string selects everything. */
export function parseFieldSelector(text: string): FieldRequirement[] {
  return splitTopLevel(text).map((part) => {
    const match = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (!match) throw badRequest(`invalid selector: '${text}'; can't understand '${part}'`);
    return { field: (match[1] ?? '').trim(), equal: match[2] !== '!=', value: (match[3] ?? '').trim() };
  });
}

function fieldValue(object: KubeObject, path: string): string {
  let current: unknown = object;
  for (const step of path.split('.')) {
    if (!isRecord(current)) return '';
    current = current[step];
  }
  return current === undefined || current === null ? '' : String(current);
}

export function matchesFields(requirements: FieldRequirement[], object: KubeObject): boolean {
  return requirements.every((r) => (fieldValue(object, r.field) === r.value) === r.equal);
}

/** Both selectors of a list or watch request, applied to one object. */
export function matchesSelectors(
  object: KubeObject,
  labels: LabelRequirement[],
  fields: FieldRequirement[],
): boolean {
  return matchesLabels(labels, labelsOf(object)) && matchesFields(fields, object);
}
