/**
 * Property-based tests: random Secret shapes, values (binary too), extra fields, chunk boundaries,
 * compression and formatting. Whatever the input, no secret value survives in the output, and
 * everything else is exactly what an independent oracle expects.
 */
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LAST_APPLIED_ANNOTATION } from '../../gateway/masking/last-applied.ts';
import { MASK_MARKER, MASKED_BASE64 } from '../../src/masking/mask-core.ts';
import { planFor, runMasker, splitAt } from './support.ts';

interface GeneratedSecret {
  object: Record<string, unknown>;
  /** Every secret value as it appears in JSON: base64 for data, the raw string for stringData. */
  values: string[];
}

const PREFIX = Buffer.from('S3cr3t!');
const binaryValue = fc
  .uint8Array({ minLength: 0, maxLength: 48 })
  .map((bytes) => Buffer.concat([PREFIX, bytes]));
const textValue = fc.string({ unit: 'grapheme', maxLength: 24 }).map((s) => `S3cr3t!${s}`);
const key = fc.stringMatching(/^[a-z][a-z0-9._-]{0,12}$/);
/** Extra fields never collide with Kubernetes field names and never contain a secret. */
const extraFields = fc.dictionary(fc.stringMatching(/^x-[a-z]{1,8}$/), fc.jsonValue({ maxDepth: 2 }), {
  maxKeys: 3,
});
const lastApplied = fc.constantFrom('none', 'parseable', 'garbage');

const secretArb: fc.Arbitrary<GeneratedSecret> = fc
  .record({
    name: fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
    withKind: fc.boolean(),
    data: fc.dictionary(key, binaryValue, { maxKeys: 4 }),
    stringData: fc.option(fc.dictionary(key, textValue, { minKeys: 1, maxKeys: 2 }), { nil: undefined }),
    lastApplied,
    newline: fc.boolean(),
    extraTop: extraFields,
    extraMeta: extraFields,
  })
  .map((g) => {
    const data = Object.fromEntries(Object.entries(g.data).map(([k, v]) => [k, v.toString('base64')]));
    const values = [...Object.values(data), ...Object.values(g.stringData ?? {})];
    const annotations: Record<string, string> = { 'x-note': 'kept' };
    if (g.lastApplied === 'parseable') {
      annotations[LAST_APPLIED_ANNOTATION] =
        JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: g.name }, data }) +
        (g.newline ? '\n' : '');
    } else if (g.lastApplied === 'garbage') {
      annotations[LAST_APPLIED_ANNOTATION] = `{"data":${JSON.stringify(data)}`;
    }
    const object: Record<string, unknown> = {
      ...g.extraTop,
      ...(g.withKind ? { kind: 'Secret', apiVersion: 'v1' } : {}),
      metadata: { ...g.extraMeta, name: g.name, namespace: 'default', annotations },
      data,
      type: 'Opaque',
    };
    if (g.stringData) object['stringData'] = g.stringData;
    return { object, values };
  });

/** The oracle: what a masked Secret must look like, written independently of the masker. */
function expectedSecret(input: Record<string, unknown>): Record<string, unknown> {
  const out = structuredClone(input);
  const mapValues = (v: unknown, to: string) =>
    Object.fromEntries(Object.keys(v as Record<string, string>).map((k) => [k, to]));
  out['data'] = mapValues(out['data'], MASKED_BASE64);
  if (out['stringData']) out['stringData'] = mapValues(out['stringData'], MASK_MARKER);
  const annotations = (out['metadata'] as { annotations: Record<string, string> }).annotations;
  const applied = annotations[LAST_APPLIED_ANNOTATION];
  if (applied !== undefined) {
    try {
      const inner = JSON.parse(applied);
      if (Object.keys(inner.data).length > 0) {
        inner.data = mapValues(inner.data, MASKED_BASE64);
        annotations[LAST_APPLIED_ANNOTATION] = JSON.stringify(inner) + (applied.endsWith('\n') ? '\n' : '');
      }
    } catch {
      delete annotations[LAST_APPLIED_ANNOTATION];
    }
  }
  return out;
}

type Shape = 'single' | 'list' | 'table' | 'watch';
const shapeArb = fc.constantFrom<Shape>('single', 'list', 'table', 'watch');

function render(shape: Shape, secrets: GeneratedSecret[], pretty: boolean, expected: boolean): string {
  const objects = secrets.map((s) => (expected ? expectedSecret(s.object) : s.object));
  const stringify = (v: unknown) => JSON.stringify(v, null, pretty ? 2 : undefined);
  // kube-apiserver writes `kind` on every top-level object and watch event object (only typed
  // list items leave it out), and the masker withholds documents that do not say what they are.
  const declared = (o: Record<string, unknown>) =>
    'kind' in o ? o : { kind: 'Secret', apiVersion: 'v1', ...o };
  switch (shape) {
    case 'single':
      return `${stringify(declared(objects[0] ?? { kind: 'Secret', metadata: { name: 'empty' } }))}\n`;
    case 'list':
      return `${stringify({ kind: 'SecretList', apiVersion: 'v1', metadata: { resourceVersion: '7' }, items: objects })}\n`;
    case 'table':
      return `${stringify({
        kind: 'Table',
        apiVersion: 'meta.k8s.io/v1',
        metadata: {},
        columnDefinitions: [{ name: 'Name', type: 'string' }],
        rows: objects.map((o) => ({
          cells: [(o['metadata'] as { name: string }).name, 'Opaque', 1],
          object: o,
        })),
      })}\n`;
    case 'watch':
      return objects.map((o) => `${JSON.stringify({ type: 'ADDED', object: declared(o) })}\n`).join('');
  }
}

const parseBody = (shape: Shape, text: string): unknown =>
  shape === 'watch'
    ? text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l))
    : JSON.parse(text);

describe('masking properties', () => {
  it('no secret value survives, and everything else is exactly as expected', async () => {
    await fc.assert(
      fc.asyncProperty(
        shapeArb,
        fc.array(secretArb, { minLength: 1, maxLength: 5 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 }),
        fc.boolean(),
        fc.boolean(),
        async (shape, secrets, cuts, gzip, pretty) => {
          const body = Buffer.from(render(shape, secrets, pretty && shape !== 'watch', false));
          const wire = gzip ? gzipSync(body) : body;
          const chunks = splitAt(
            wire,
            cuts.map((c) => Math.floor(c * wire.length)),
          );
          const plan = planFor('secrets', { verb: shape === 'watch' ? 'watch' : 'list' });
          const run = await runMasker(plan, chunks, { contentEncoding: gzip ? 'gzip' : undefined });
          expect(run.error).toBeUndefined();
          const output = run.output.toString();
          for (const value of secrets.flatMap((s) => s.values)) {
            expect(output).not.toContain(value);
            expect(output).not.toContain(JSON.stringify(value).slice(1, -1));
          }
          const expected = render(shape, secrets, false, true);
          expect(parseBody(shape, output)).toEqual(parseBody(shape, expected));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('responses with nothing to mask come out byte for byte', async () => {
    const bare = secretArb.map(({ object }) => {
      const { data: _data, stringData: _stringData, ...rest } = object;
      const metadata = {
        ...(rest['metadata'] as Record<string, unknown>),
        annotations: { 'x-note': 'kept' },
      };
      return { object: { ...rest, metadata }, values: [] };
    });
    await fc.assert(
      fc.asyncProperty(
        shapeArb,
        fc.array(bare, { minLength: 1, maxLength: 4 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 }),
        fc.boolean(),
        async (shape, secrets, cuts, pretty) => {
          const body = Buffer.from(render(shape, secrets, pretty && shape !== 'watch', false));
          const chunks = splitAt(
            body,
            cuts.map((c) => Math.floor(c * body.length)),
          );
          const plan = planFor('secrets', { verb: shape === 'watch' ? 'watch' : 'list' });
          const run = await runMasker(plan, chunks);
          expect(run.error).toBeUndefined();
          expect(run.output.equals(body)).toBe(true);
          expect(run.count).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('log lines keep their shape and lose every literal secret, however the text is chunked', async () => {
    const filler = fc.stringMatching(/^[a-z ]{0,20}$/);
    const secretText = fc.stringMatching(/^[A-Z0-9!@#%^*]{6,24}$/);
    const lineArb = fc.record({
      before: filler,
      secret: fc.option(secretText, { nil: undefined }),
      after: filler,
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(lineArb, { minLength: 1, maxLength: 12 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 }),
        async (lines, cuts) => {
          const text = lines.map((l) => `${l.before}${l.secret ?? ''}${l.after}`).join('\n');
          const body = Buffer.from(text);
          const literals = lines.flatMap((l) => (l.secret ? [l.secret] : []));
          const plan = planFor('pods', { subresource: 'log' });
          const chunks = splitAt(
            body,
            cuts.map((c) => Math.floor(c * body.length)),
          );
          const run = await runMasker(plan, chunks, { contentType: 'text/plain', literals });
          const expected = lines.map((l) => `${l.before}${l.secret ? MASK_MARKER : ''}${l.after}`).join('\n');
          expect(run.output.toString()).toBe(expected);
        },
      ),
      { numRuns: 200 },
    );
  });
});
