/**
 * The byte-level Secret masker (gateway/masking/secret-bytes.ts) against the parse-based masker
 * as its oracle: the same body maskers run twice over the same chunks, once as shipped and once
 * with `parseOnly`, and must agree byte for byte — output, error, count, and every value reported
 * to the tally, in order. The bodies are generated as JSON text, not through JSON.stringify alone,
 * so they can hold what the byte-level path must notice and hand to the parser: duplicate keys,
 * array-index keys, whitespace, escapes JSON.stringify would not write, numbers in other forms,
 * invalid JSON, other kinds, and last-applied annotations of every sort (nested ones too).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Emit } from '../../gateway/masking/body-masker.ts';
import { LAST_APPLIED_ANNOTATION } from '../../gateway/masking/last-applied.ts';
import { ObjectBodyMasker } from '../../gateway/masking/object-body.ts';
import { maskSecretBytes, maskSecretEventBytes } from '../../gateway/masking/secret-bytes.ts';
import { WatchBodyMasker } from '../../gateway/masking/watch-body.ts';
import { MASKED_BASE64, MaskTally } from '../../src/masking/mask-core.ts';
import { planFor, splitAt } from './support.ts';

/** JSON as text: objects keep their entries as written, so keys can repeat. */
type Node =
  | { t: 'object'; entries: Array<[string, Node]>; spaced: boolean }
  | { t: 'array'; items: Node[] }
  | { t: 'leaf'; text: string };

const leaf = (text: string): Node => ({ t: 'leaf', text });
const object = (entries: Array<[string, Node]>, spaced = false): Node => ({ t: 'object', entries, spaced });

function render(node: Node): string {
  if (node.t === 'leaf') return node.text;
  if (node.t === 'array') return `[${node.items.map(render).join(',')}]`;
  const sep = node.spaced ? ', ' : ',';
  return `{${node.entries.map(([k, v]) => `${JSON.stringify(k)}${node.spaced ? ': ' : ':'}${render(v)}`).join(sep)}}`;
}

const TRICKY_TEXT = [
  '"data"',
  '\\"data\\":{',
  'quote " backslash \\ slash /',
  '\u2028\u2029',
  '\u0000\u001f\u007f\b\f\n\r\t',
  'é日本🙂',
  '\ud800',
  '<&>',
  LAST_APPLIED_ANNOTATION,
  '{"kind":"Secret","data":{"k":"djE="}}',
];

const KEYS = [
  'data',
  'stringData',
  'kind',
  'metadata',
  'annotations',
  'type',
  'object',
  'name',
  '0',
  '7',
  '42',
  '4294967295',
  '01',
  '__proto__',
  'a',
  'b',
  'da"ta',
];

interface SecretShape {
  kind: 'none' | 'Secret' | 'ConfigMap' | 'Status' | 'number';
  data: Node | undefined;
  stringData: Node | undefined;
  annotation: 'none' | 'manifest' | 'manifest-newline' | 'garbage' | 'not-a-string' | 'nested';
  manifestKind: 'none' | 'Secret' | 'ConfigMap';
  extra: Array<[string, Node]>;
  extraMeta: Array<[string, Node]>;
  /** Whether `metadata` comes first among the top-level members or last. */
  metadataFirst: boolean;
  /** Which top-level member to repeat at the end (-1: none). */
  duplicate: number;
  spaced: boolean;
  broken: 'no' | 'truncate' | 'trailing-comma';
}

/** Member names the generator writes itself (kept unique in clean Secrets). */
const RESERVED = new Set([
  'kind',
  'apiVersion',
  'metadata',
  'data',
  'stringData',
  'type',
  'name',
  'annotations',
]);

/** The generators, either as JSON.stringify writes (`clean`) or with every adversarial form. */
function arbitraries(clean: boolean) {
  /** A string written canonically, or with an escape JSON.stringify would not use. */
  const stringLeaf: fc.Arbitrary<Node> = fc
    .tuple(
      fc.oneof(
        fc.constantFrom(...TRICKY_TEXT.filter((t) => !clean || !t.includes('\ud800'))),
        fc.string({ unit: 'grapheme', maxLength: 12 }),
        clean
          ? fc.string({ unit: 'grapheme-ascii', maxLength: 6 })
          : fc.string({ unit: 'binary', maxLength: 6 }),
        fc.base64String({ maxLength: 24 }),
      ),
      clean
        ? fc.constant('canonical')
        : fc.constantFrom('canonical', 'canonical', 'u-escape', 'slash', 'upper-hex', 'raw-control'),
    )
    .map(([s, style]) => {
      const text = JSON.stringify(s);
      if (style === 'u-escape' && s.length > 0) {
        const code = s.charCodeAt(0).toString(16).padStart(4, '0');
        return leaf(`"\\u${code}${JSON.stringify(s.slice(1)).slice(1)}`);
      }
      if (style === 'raw-control') return leaf(`${text.slice(0, -1)}\u0001"`); // invalid JSON
      if (style === 'slash') return leaf(text.replaceAll('/', '\\/'));
      if (style === 'upper-hex')
        return leaf(text.replace(/\\u00([0-9a-f]{2})/, (_m, h: string) => `\\u00${h.toUpperCase()}`));
      return leaf(text);
    });

  const numberLeaf: fc.Arbitrary<Node> = fc.oneof(
    fc.integer().map((n) => leaf(String(n))),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => leaf(JSON.stringify(n))),
    clean
      ? fc.constantFrom('1e+21', '1e-7', '0.1').map(leaf)
      : fc
          .constantFrom('1.0', '1e2', '1E+2', '-0', '0.10', '12345678901234567890', '1e+21', '01', '1.', '-')
          .map(leaf),
  );
  const literalLeaf = (
    clean ? fc.constantFrom('true', 'false', 'null') : fc.constantFrom('null', 'nul', 'True')
  ).map(leaf);

  const keyArb = fc.oneof(
    fc.constantFrom(...KEYS.filter((k) => !clean || !/^\d/.test(k))),
    fc.string({ unit: 'grapheme', maxLength: 8 }).filter((k) => !clean || !/^\d/.test(k)),
  );

  /** Entries of one object: unique keys when clean, anything otherwise. */
  const entries = (key: fc.Arbitrary<string>, value: fc.Arbitrary<Node>, maxLength: number) =>
    clean
      ? fc.uniqueArray(fc.tuple(key, value), { maxLength, selector: ([k]) => k })
      : fc.array(fc.tuple(key, value), { maxLength });
  /** Keys of extra members: when clean, none the generator writes itself. */
  const freeKey = keyArb.filter((k) => !clean || !RESERVED.has(k));

  const anyNode: fc.Arbitrary<Node> = fc.letrec<{ node: Node }>((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      stringLeaf,
      numberLeaf,
      literalLeaf,
      entries(keyArb, tie('node'), 3).map((e) => object(e)),
      fc.array(tie('node'), { maxLength: 3 }).map((items): Node => ({ t: 'array', items })),
    ),
  })).node;

  const base64Value = fc.base64String({ maxLength: 32 }).map((s) => leaf(JSON.stringify(s)));
  /** A data map: mostly base64 strings, sometimes anything. */
  const dataMap: fc.Arbitrary<Node> = fc.oneof(
    {
      weight: 6,
      arbitrary: entries(keyArb, fc.oneof({ weight: 5, arbitrary: base64Value }, anyNode), 4).map((e) =>
        object(e),
      ),
    },
    { weight: 1, arbitrary: anyNode },
  );

  const shape: fc.Arbitrary<SecretShape> = fc.record({
    kind: clean
      ? fc.constantFrom('none', 'Secret')
      : fc.constantFrom('Secret', 'ConfigMap', 'Status', 'number'),
    data: fc.option(dataMap, { nil: undefined, freq: 5 }),
    stringData: fc.option(dataMap, { nil: undefined, freq: 2 }),
    annotation: clean
      ? fc.constantFrom('none', 'manifest', 'manifest-newline', 'manifest-newline', 'nested')
      : fc.constantFrom('manifest', 'manifest-newline', 'garbage', 'not-a-string', 'nested'),
    manifestKind: clean ? fc.constantFrom('none', 'Secret') : fc.constantFrom('none', 'Secret', 'ConfigMap'),
    extra: entries(freeKey, anyNode, 2),
    extraMeta: entries(freeKey, anyNode, 2),
    metadataFirst: fc.boolean(),
    duplicate: clean ? fc.constant(-1) : fc.nat(8),
    spaced: clean ? fc.constant(false) : fc.boolean(),
    broken: clean
      ? fc.constant('no' as const)
      : fc.constantFrom('no' as const, 'truncate' as const, 'trailing-comma' as const),
  });
  return shape;
}

const cleanShape = arbitraries(true);
const adversarialShape = arbitraries(false);
const FIELDS = Object.keys(fc.sample(cleanShape, 1)[0]!) as Array<keyof SecretShape>;

/**
 * Half as kube-apiserver writes them; half the same with one field adversarial, so the one thing
 * the byte-level path must notice is not hidden behind another that already sends it to the parser.
 */
const shapeArb: fc.Arbitrary<SecretShape> = fc.oneof(
  cleanShape,
  fc
    .tuple(cleanShape, adversarialShape, fc.constantFrom(...FIELDS))
    .map(([clean, adversarial, field]) => ({ ...clean, [field]: adversarial[field] })),
);

function kindEntry(kind: SecretShape['kind'] | SecretShape['manifestKind']): Array<[string, Node]> {
  if (kind === 'none') return [];
  if (kind === 'number') return [['kind', leaf('5')]];
  return [['kind', leaf(JSON.stringify(kind))]];
}

function manifestText(shape: SecretShape, depth: number): string {
  const annotations: Array<[string, Node]> = [];
  if (shape.annotation === 'nested' && depth < 2)
    annotations.push([LAST_APPLIED_ANNOTATION, leaf(JSON.stringify(`${manifestText(shape, depth + 1)}\n`))]);
  const entries: Array<[string, Node]> = [
    ['apiVersion', leaf('"v1"')],
    ...kindEntry(shape.manifestKind),
    [
      'metadata',
      object([
        ['name', leaf('"s"')],
        ['annotations', object(annotations)],
      ]),
    ],
  ];
  if (shape.data !== undefined) entries.push(['data', shape.data]);
  if (shape.stringData !== undefined) entries.push(['stringData', shape.stringData]);
  return render(object(entries));
}

function secretText(shape: SecretShape): string {
  const annotations: Array<[string, Node]> = [['x-note', leaf('"kept"')]];
  switch (shape.annotation) {
    case 'manifest':
    case 'nested':
      annotations.push([LAST_APPLIED_ANNOTATION, leaf(JSON.stringify(manifestText(shape, 0)))]);
      break;
    case 'manifest-newline':
      annotations.push([LAST_APPLIED_ANNOTATION, leaf(JSON.stringify(`${manifestText(shape, 0)}\n`))]);
      break;
    case 'garbage':
      annotations.push([LAST_APPLIED_ANNOTATION, leaf(JSON.stringify('{"data":{"k":"djE="}'))]);
      break;
    case 'not-a-string':
      annotations.push([LAST_APPLIED_ANNOTATION, object([['data', object([['k', leaf('"djE="')]])]])]);
      break;
  }
  const metadata: [string, Node] = [
    'metadata',
    object([['name', leaf('"s"')], ...shape.extraMeta, ['annotations', object(annotations)]]),
  ];
  const entries: Array<[string, Node]> = [
    ...(shape.metadataFirst ? [metadata] : []),
    ...kindEntry(shape.kind),
    ['apiVersion', leaf('"v1"')],
  ];
  if (shape.data !== undefined) entries.push(['data', shape.data]);
  if (shape.stringData !== undefined) entries.push(['stringData', shape.stringData]);
  entries.push(...shape.extra, ['type', leaf('"Opaque"')]);
  if (!shape.metadataFirst) entries.push(metadata);
  if (shape.duplicate >= 0 && entries.length > 0) {
    const [key] = entries[shape.duplicate % entries.length]!;
    entries.push([key, key === 'data' ? object([]) : leaf('null')]);
  }
  const text = render(object(entries, shape.spaced));
  if (shape.broken === 'truncate') return text.slice(0, -1);
  if (shape.broken === 'trailing-comma') return `${text.slice(0, -1)},}`;
  return text;
}

type BodyShape = 'list' | 'single' | 'watch';

function bodyText(shape: BodyShape, secrets: string[]): string {
  if (shape === 'single') return `${secrets[0]}\n`;
  if (shape === 'watch') return secrets.map((s) => `{"type":"MODIFIED","object":${s}}\n`).join('');
  return `{"kind":"SecretList","apiVersion":"v1","metadata":{"resourceVersion":"9"},"items":[${secrets.join(',')}]}\n`;
}

interface Outcome {
  output: string;
  error: string | undefined;
  count: number;
  seen: string[][];
}

const plan = planFor('secrets', { verb: 'list' });

function run(shape: BodyShape, chunks: Buffer[], parseOnly: boolean): Outcome {
  const out: Buffer[] = [];
  const seen: string[][] = [];
  const tally = new MaskTally((plain, asWritten) => seen.push([plain, asWritten]));
  const emit: Emit = (bytes) => out.push(Buffer.from(bytes));
  const options = {
    kindHint: 'Secret',
    rules: plan.rules,
    maxObjectBytes: plan.limits.maxObjectBytes,
    tally,
    emit,
    parseOnly,
  };
  const masker = shape === 'watch' ? new WatchBodyMasker(options) : new ObjectBodyMasker(options);
  let error: string | undefined;
  try {
    for (const chunk of chunks) masker.write(chunk);
    masker.end();
  } catch (e) {
    error = (e as Error).message;
  }
  return { output: Buffer.concat(out).toString('latin1'), error, count: masker.maskedCount(), seen };
}

const cutsArb = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 });

describe('byte-level Secret masking against the parse-based masker', () => {
  it('writes exactly what the parse-based masker writes, for generated and adversarial Secrets', () => {
    let byteLevel = 0;
    let parsed = 0;
    fc.assert(
      fc.property(
        fc.constantFrom<BodyShape>('list', 'list', 'single', 'watch'),
        fc.array(shapeArb, { minLength: 1, maxLength: 4 }),
        cutsArb,
        (shape, shapes, cuts) => {
          const secrets = shapes.map(secretText);
          for (const s of secrets) {
            const bytes = Buffer.from(s);
            const taken =
              shape === 'watch'
                ? maskSecretEventBytes(Buffer.from(`{"type":"MODIFIED","object":${s}}`), new MaskTally())
                : maskSecretBytes(bytes, shape === 'single', new MaskTally());
            if (taken === undefined) parsed += 1;
            else byteLevel += 1;
          }
          const body = Buffer.from(bodyText(shape, secrets));
          const chunks = splitAt(
            body,
            cuts.map((c) => Math.floor(c * body.length)),
          );
          expect(run(shape, chunks, false)).toEqual(run(shape, chunks, true));
        },
      ),
      { numRuns: 3000 },
    );
    // Both paths were exercised, in earnest: the comparison above is not parser against parser.
    expect(byteLevel).toBeGreaterThan(1000);
    expect(parsed).toBeGreaterThan(1000);
  });

  it('takes the byte-level path for Secrets as kube-apiserver writes them, and masks every value', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.string({ minLength: 1, maxLength: 10 }).filter((k) => !/^\d+$/.test(k)),
          fc.base64String({ minLength: 4, maxLength: 40 }),
          { minKeys: 1, maxKeys: 5 },
        ),
        (data) => {
          const manifest = `${JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data })}\n`;
          const secret = {
            metadata: { name: 's', annotations: { [LAST_APPLIED_ANNOTATION]: manifest } },
            data,
            type: 'Opaque',
          };
          const seen: string[] = [];
          const tally = new MaskTally((_plain, asWritten) => seen.push(asWritten));
          const masked = maskSecretBytes(Buffer.from(JSON.stringify(secret)), false, tally);
          expect(masked).toBeDefined();
          const out = JSON.parse(masked!.toString());
          expect(Object.values(out.data)).toEqual(Object.keys(data).map(() => MASKED_BASE64));
          expect(Object.values(JSON.parse(out.metadata.annotations[LAST_APPLIED_ANNOTATION]).data)).toEqual(
            Object.keys(data).map(() => MASKED_BASE64),
          );
          expect(seen).toEqual([...Object.values(data), ...Object.values(data)]);
          expect(tally.count).toBe(2 * Object.keys(data).length);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('agrees with the parse-based masker on invalid UTF-8 and on objects of many keys', () => {
    const many = (dup: boolean) =>
      `{"metadata":{"name":"s"},"data":{${Array.from({ length: 40 }, (_, i) => `"k${dup && i === 39 ? 35 : i}":"djE="`).join(',')}}}`;
    const items = [
      Buffer.from('{"metadata":{"name":"s"},"data":{"k":"djE="}}'),
      Buffer.concat([
        Buffer.from('{"metadata":{"name":"'),
        Buffer.from([0xff, 0xfe]),
        Buffer.from('"},"data":{"k":"djE="}}'),
      ]),
      Buffer.from(many(false)),
      Buffer.from(many(true)),
    ];
    expect(maskSecretBytes(items[1]!, false, new MaskTally())).toBeUndefined();
    expect(maskSecretBytes(items[2]!, false, new MaskTally())).toBeDefined();
    expect(maskSecretBytes(items[3]!, false, new MaskTally())).toBeUndefined();
    const list = Buffer.concat([
      Buffer.from('{"kind":"SecretList","apiVersion":"v1","metadata":{},"items":['),
      ...items.flatMap((item, i) => (i === 0 ? [item] : [Buffer.from(','), item])),
      Buffer.from(']}'),
    ]);
    for (const cuts of [[], [70], [100, 200, 300]]) {
      const chunks = splitAt(list, cuts);
      const shipped = run('list', chunks, false);
      // The last item repeats a key: both refuse it, after the same items went out.
      expect(shipped.error).toContain('a key repeated within one object');
      expect(shipped).toEqual(run('list', chunks, true));
    }
  });

  it('masks a last-applied manifest larger than the buffer kept between objects, and the ones after it', () => {
    const secret = (name: string, values: number) => {
      const data = Object.fromEntries(
        Array.from({ length: values }, (_, i) => [
          `key-${i}`,
          Buffer.from(`${name}-secret-${i}-`.repeat(40)).toString('base64'),
        ]),
      );
      const manifest = `${JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name }, data })}\n`;
      return JSON.stringify({
        metadata: { name, annotations: { [LAST_APPLIED_ANNOTATION]: manifest } },
        data,
      });
    };
    // ~1 KiB, ~150 KiB (over the 64 KiB kept), ~1 KiB: the buffer is let go and made again.
    const list = Buffer.from(
      `{"kind":"SecretList","apiVersion":"v1","metadata":{},"items":[${[secret('a', 1), secret('b', 100), secret('c', 1)].join(',')}]}`,
    );
    const shipped = run('list', [list], false);
    expect(shipped).toEqual(run('list', [list], true));
    const text = shipped.output;
    for (const name of ['a', 'b', 'c'])
      expect(text).not.toContain(Buffer.from(`${name}-secret-0-`.repeat(40)).toString('base64'));
    expect(maskSecretBytes(Buffer.from(secret('b', 100)), false, new MaskTally())).toBeDefined();
  });

  it('hands every non-canonical form to the parser', () => {
    const secret = (body: string) => maskSecretBytes(Buffer.from(body), false, new MaskTally());
    const ok = '{"metadata":{"name":"s"},"data":{"k":"djE="}}';
    expect(secret(ok)?.toString()).toBe(
      `{"metadata":{"name":"s"},"data":{"k":${JSON.stringify(MASKED_BASE64)}}}`,
    );
    for (const body of [
      '{"metadata":{"name":"s"},"data":{"k":"djE="},"data":{}}', // duplicate key: the last one wins
      '{"metadata":{"name":"s"},"data":{"k":"djE=","k":"djI="}}',
      '{"metadata":{"name":"s"},"data":{"b":"djE=","1":"djI="}}', // "1" is ordered first by V8
      '{"metadata": {"name":"s"},"data":{"k":"djE="}}',
      '{"metadata":{"name":"\\u0073"},"data":{"k":"djE="}}',
      '{"metadata":{"name":"s\\/"},"data":{"k":"djE="}}',
      '{"metadata":{"generation":1.0},"data":{"k":"djE="}}',
      '{"metadata":{"generation":12345678901234567890},"data":{"k":"djE="}}',
      '{"kind":"ConfigMap","data":{"k":"djE="}}',
      '{"metadata":{"name":"s"},"data":{"k":"djE="}',
      '{"metadata":{"name":"s"},"data":{"k":"dj\u0001E="}}',
      '{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\\"data\\": {}}"}}}',
    ])
      expect(secret(body), body).toBeUndefined();
    expect(
      maskSecretBytes(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), false, new MaskTally()),
    ).toBeUndefined();
  });
});
