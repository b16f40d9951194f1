/**
 * Validation the apiserver performs before storing an object, for the mistakes clients (and
 * agents) actually make: a missing or malformed name, a pod without containers, a deployment whose
 * selector does not match its template. Problems are collected and thrown as one 422 Invalid
 * Status with `causes`, worded like field.ErrorList.
 */
import { type FieldCause, invalid } from '../errors.ts';
import type { ResourceType } from '../resources.ts';
import { fromLabelSelectorObject, matchesLabels } from '../store/selectors.ts';
import { isRecord, type KubeObject, metaOf, recordAt, recordsAt } from './meta.ts';

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN_HELP =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must " +
  "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is " +
  "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_HELP =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and " +
  "end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is " +
  "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

/** Kinds whose names must be DNS labels (they become DNS names or hostnames). */
const LABEL_NAMED = new Set(['Namespace', 'Service']);

function required(field: string, detail = ''): FieldCause {
  return {
    field,
    reason: 'FieldValueRequired',
    message: detail ? `Required value: ${detail}` : 'Required value',
  };
}

function invalidValue(field: string, value: unknown, detail: string): FieldCause {
  return {
    field,
    reason: 'FieldValueInvalid',
    message: `Invalid value: ${JSON.stringify(value)}: ${detail}`,
  };
}

function validateName(object: KubeObject, causes: FieldCause[]): void {
  const meta = metaOf(object);
  const name = meta.name;
  if (!name) {
    causes.push(required('metadata.name', 'name or generateName is required'));
    return;
  }
  const asLabel = LABEL_NAMED.has(String(object['kind']));
  const ok = asLabel ? LABEL.test(name) && name.length <= 63 : SUBDOMAIN.test(name) && name.length <= 253;
  if (!ok) causes.push(invalidValue('metadata.name', name, asLabel ? LABEL_HELP : SUBDOMAIN_HELP));
}

function validateContainers(
  spec: Record<string, unknown> | undefined,
  path: string,
  causes: FieldCause[],
): void {
  const containers = recordsAt(spec, 'containers');
  if (containers.length === 0) {
    causes.push(required(`${path}.containers`));
    return;
  }
  const seen = new Set<string>();
  containers.forEach((c, i) => {
    const name = c['name'];
    if (typeof name !== 'string' || !name) causes.push(required(`${path}.containers[${i}].name`));
    else if (seen.has(name)) {
      causes.push({
        field: `${path}.containers[${i}].name`,
        reason: 'FieldValueDuplicate',
        message: `Duplicate value: "${name}"`,
      });
    } else seen.add(name);
    if (typeof c['image'] !== 'string' || !c['image'])
      causes.push(required(`${path}.containers[${i}].image`));
  });
}

function validateWorkload(object: KubeObject, causes: FieldCause[]): void {
  const spec = recordAt(object, 'spec');
  const selector = spec?.['selector'];
  if (!isRecord(selector)) causes.push(required('spec.selector'));
  const labels = recordAt(object, 'spec', 'template', 'metadata', 'labels') ?? {};
  const asStrings = Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, String(v)]));
  const requirements = fromLabelSelectorObject(selector);
  if (isRecord(selector) && requirements.length === 0) {
    causes.push(invalidValue('spec.selector', selector, 'empty selector is invalid for deployment'));
  } else if (isRecord(selector) && !matchesLabels(requirements, asStrings)) {
    causes.push(
      invalidValue('spec.template.metadata.labels', asStrings, '`selector` does not match template `labels`'),
    );
  }
  const replicas = spec?.['replicas'];
  if (typeof replicas === 'number' && replicas < 0) {
    causes.push(invalidValue('spec.replicas', replicas, 'must be greater than or equal to 0'));
  }
  validateContainers(recordAt(object, 'spec', 'template', 'spec'), 'spec.template.spec', causes);
}

/** Throws a 422 Invalid Status when `object` (already defaulted) may not be stored. */
export function validateObject(type: ResourceType, object: KubeObject): void {
  const causes: FieldCause[] = [];
  validateName(object, causes);
  switch (type.kind) {
    case 'Pod':
      validateContainers(recordAt(object, 'spec'), 'spec', causes);
      break;
    case 'Deployment':
    case 'ReplicaSet':
      validateWorkload(object, causes);
      break;
    case 'Service': {
      const spec = recordAt(object, 'spec');
      if (spec?.['type'] !== 'ExternalName' && recordsAt(spec, 'ports').length === 0) {
        causes.push(required('spec.ports'));
      }
      break;
    }
  }
  if (causes.length > 0) throw invalid(type, metaOf(object).name ?? '', causes);
}
