/**
 * Building blocks for server-side printing columns: metav1.TableColumnDefinition, the NAME and AGE
 * columns every kind has, and small cell formatters shared by the per-kind layouts. Ages are
 * computed on the server (Table cells are strings): humanDuration is a port of
 * k8s.io/apimachinery/pkg/util/duration.HumanDuration.
 */
import { isRecord, type KubeObject, metaOf } from '../objects/meta.ts';

export interface ColumnDefinition {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format: string;
  description: string;
  priority: number;
}

export interface KindColumns {
  columns: ColumnDefinition[];
  cells: (object: KubeObject) => unknown[];
}

const NAME_DESCRIPTION =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may ' +
  'allow a client to request the generation of an appropriate name automatically. Name is primarily intended ' +
  'for creation idempotence and configuration definition. Cannot be updated. More info: ' +
  'https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
const AGE_DESCRIPTION =
  'CreationTimestamp is a timestamp representing the server time when this object was created.';

export function column(
  name: string,
  type: ColumnDefinition['type'],
  description: string,
  priority = 0,
): ColumnDefinition {
  return { name, type, format: name === 'Name' ? 'name' : '', description, priority };
}

export const nameColumn = column('Name', 'string', NAME_DESCRIPTION);
export const ageColumn = column('Age', 'string', AGE_DESCRIPTION);
export const name = (o: KubeObject): string => metaOf(o).name ?? '';
export const age = (o: KubeObject): string => ageOf(metaOf(o).creationTimestamp);
export const count = (value: unknown): number => (isRecord(value) ? Object.keys(value).length : 0);
export const num = (value: unknown): number => (typeof value === 'number' ? value : 0);
export const orNone = (value: string): string => value || '<none>';

/** `37s`, `4m12s`, `15m`, `3h4m`, `20h`, `3d4h`, `45d`, `2y30d`, `9y`. */
export function humanDuration(milliseconds: number): string {
  const seconds = Math.floor(milliseconds / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const d = Math.floor(hours / 24) % 365;
    return d === 0 ? `${Math.floor(hours / 24 / 365)}y` : `${Math.floor(hours / 24 / 365)}y${d}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

/** The AGE cell of an object created at `creationTimestamp` (RFC 3339), as of `now`. */
export function ageOf(creationTimestamp: unknown, now: number = Date.now()): string {
  if (typeof creationTimestamp !== 'string') return '<unknown>';
  const created = Date.parse(creationTimestamp);
  return Number.isNaN(created) ? '<unknown>' : humanDuration(now - created);
}
