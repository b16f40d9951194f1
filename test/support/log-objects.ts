import fc from 'fast-check';

/**
 * Generated log objects for the logger's property tests: up to `maxKeys` fields named by `key`,
 * whose values are `leaf` values, arrays and objects nested a few levels deep (so credential keys
 * turn up at every depth, in arrays and under `headers` and `req`).
 */
export function logObjects(options: {
  key: fc.Arbitrary<string>;
  leaf: fc.Arbitrary<unknown>;
  maxKeys: number;
}): fc.Arbitrary<Record<string, unknown>> {
  const { key, leaf, maxKeys } = options;
  const { value } = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.array(tie('value'), { maxLength: 3 }),
      fc.dictionary(key, tie('value'), { maxKeys: 4 }),
    ),
  }));
  return fc.dictionary(key, value, { maxKeys });
}
