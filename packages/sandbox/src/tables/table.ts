/**
 * Server-side printing: the `meta.k8s.io/v1 Table` kube-apiserver returns when a client's Accept
 * header asks for `as=Table;v=v1;g=meta.k8s.io` (kubectl get does), and the other `as=` forms of
 * the same negotiation (PartialObjectMetadata[List]).
 *
 * `includeObject` decides what each row carries: `None` (nothing), `Metadata` (the default: a
 * PartialObjectMetadata, which kubectl reads for the NAMESPACE column of `-A`), or `Object`.
 */
import { badRequest } from '../errors.ts';
import { type KubeObject, metaOf } from '../objects/meta.ts';
import { columnsFor } from './columns.ts';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

/** What an Accept header asks for, reduced to the shapes the sandbox can produce. */
export type ResponseShape = 'object' | 'table' | 'partial';

/**
 * Reads the Accept header: the first media range the sandbox can serve wins (Table, partial
 * metadata, or plain JSON). Protobuf ranges are skipped, as JSON is always acceptable to clients.
 */
export function negotiateShape(accept: string | undefined): ResponseShape {
  for (const range of (accept ?? '').split(',')) {
    const [media = '', ...params] = range.split(';').map((p) => p.trim());
    const args = Object.fromEntries(params.map((p) => p.split('=').map((s) => s.trim())));
    if (media !== 'application/json' && media !== '*/*') continue;
    if (args['as'] === 'Table' && args['g'] === 'meta.k8s.io') return 'table';
    if (
      (args['as'] === 'PartialObjectMetadataList' || args['as'] === 'PartialObjectMetadata') &&
      args['g'] === 'meta.k8s.io'
    )
      return 'partial';
    if (args['as'] === undefined) return 'object';
  }
  return 'object';
}

export function parseIncludeObject(value: string | null): IncludeObject {
  if (value === null || value === '' || value === 'Metadata') return 'Metadata';
  if (value === 'None' || value === 'Object') return value;
  throw badRequest(`includeObject must be one of None, Metadata, Object (got "${value}")`);
}

/** The metadata-only view of an object. */
export function partialMetadata(object: KubeObject): KubeObject {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: metaOf(object) };
}

export interface TableOptions {
  includeObject: IncludeObject;
  /** Omit columnDefinitions (watch events after the first). */
  noHeaders?: boolean;
  resourceVersion?: string;
  continueToken?: string;
}

/** A Table of `objects`, all of one `kind`. */
export function toTable(kind: string, objects: KubeObject[], options: TableOptions): KubeObject {
  const layout = columnsFor(kind);
  const rows = objects.map((object) => {
    const row: Record<string, unknown> = { cells: layout.cells(object) };
    if (options.includeObject === 'Object') row['object'] = object;
    else if (options.includeObject === 'Metadata') row['object'] = partialMetadata(object);
    return row;
  });
  const metadata: Record<string, string> = {};
  if (options.resourceVersion) metadata['resourceVersion'] = options.resourceVersion;
  if (options.continueToken) metadata['continue'] = options.continueToken;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata,
    columnDefinitions: options.noHeaders ? [] : layout.columns,
    rows,
  };
}
