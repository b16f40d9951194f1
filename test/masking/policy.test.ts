import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.ts';
import { compileGlobs } from '../../src/masking/glob.ts';
import { compileMaskingPolicy, maskingRulesFor } from '../../src/masking/policy.ts';
import { caller } from './support.ts';

describe('compileGlobs', () => {
  it('matches * and ? and treats everything else literally', () => {
    const m = compileGlobs(['db-?', 'payments-*', 'a.b']);
    expect(m.test('db-1')).toBe(true);
    expect(m.test('db-12')).toBe(false);
    expect(m.test('payments-')).toBe(true);
    expect(m.test('payments-eu')).toBe(true);
    expect(m.test('a.b')).toBe(true);
    expect(m.test('axb')).toBe(false);
  });

  it('is case-insensitive only when asked', () => {
    expect(compileGlobs(['*PASSWORD*']).test('db_password')).toBe(false);
    expect(compileGlobs(['*PASSWORD*'], { caseInsensitive: true }).test('db_password')).toBe(true);
  });

  it('matches like a shell glob, in time proportional to pattern × value', () => {
    expect(compileGlobs(['*a*b*c*']).test('xxaxxbxxcxx')).toBe(true);
    expect(compileGlobs(['*a*b*c*']).test('xxaxxcxxbxx')).toBe(false);
    expect(compileGlobs(['a*']).test('a')).toBe(true);
    expect(compileGlobs(['*?']).test('')).toBe(false);
    const started = performance.now();
    expect(compileGlobs(['*A*A*A*A*A*B']).test('A'.repeat(20000))).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('matches nothing when empty and everything with *', () => {
    expect(compileGlobs([]).test('x')).toBe(false);
    expect(compileGlobs(['x', '*']).test('anything')).toBe(true);
  });
});

describe('compileMaskingPolicy', () => {
  it('defaults to masking every Secret, env by name, all log detectors, no ConfigMaps', () => {
    const rules = maskingRulesFor(compileMaskingPolicy(undefined), caller(['dev']));
    expect(rules.source).toBe('masking.default');
    expect(rules.secrets).toBe(true);
    expect(rules.env.mode).toBe('byName');
    for (const name of ['DB_PASSWORD', 'API_TOKEN', 'AWS_SECRET_ACCESS_KEY', 'private_key']) {
      expect(rules.env.names.test(name)).toBe(true);
    }
    expect(rules.env.names.test('LOG_LEVEL')).toBe(false);
    expect([...rules.logs.detectors].sort()).toEqual(['assignment', 'awsAccessKey', 'jwt', 'privateKey']);
    expect(rules.logs.secretValues).toBe(true);
    expect(rules.configMaps).toEqual([]);
    expect(compileMaskingPolicy(undefined).limits.maxObjectBytes).toBe(16 * 1024 * 1024);
  });

  it('picks the first rule whose groups match; * matches callers without groups', () => {
    const policy = compileMaskingPolicy({
      rules: [
        { groups: ['break-glass'], secrets: false },
        { groups: ['*'], env: { mode: 'always' } },
      ],
    });
    const breakGlass = maskingRulesFor(policy, caller(['dev', 'break-glass']));
    expect(breakGlass.source).toBe('masking.rules[0]');
    expect(breakGlass.secrets).toBe(false);
    // Fields the rule leaves out are masked, not raw.
    expect(breakGlass.env.mode).toBe('byName');
    expect(breakGlass.logs.detectors.size).toBe(4);
    expect(maskingRulesFor(policy, caller([])).source).toBe('masking.rules[1]');
    expect(maskingRulesFor(policy, caller(['dev'])).env.mode).toBe('always');
  });

  it('falls back to the default rule, which the policy may set', () => {
    const policy = compileMaskingPolicy({
      rules: [{ groups: ['ops-*'], env: { mode: 'never' } }],
      default: { env: { mode: 'always' }, logs: { detectors: ['jwt'] } },
    });
    expect(maskingRulesFor(policy, caller(['ops-eu'])).env.mode).toBe('never');
    const fallback = maskingRulesFor(policy, caller(['dev']));
    expect(fallback.env.mode).toBe('always');
    expect([...fallback.logs.detectors]).toEqual(['jwt']);
  });

  it('compiles ConfigMap rules with key globs that ignore case', () => {
    const policy = compileMaskingPolicy({
      rules: [{ groups: ['*'], configMaps: [{ namespace: 'payments', keys: ['*password*'] }] }],
    });
    const [rule] = maskingRulesFor(policy, caller()).configMaps;
    expect(rule?.namespace.test('payments')).toBe(true);
    expect(rule?.namespace.test('payments-eu')).toBe(false);
    expect(rule?.name.test('anything')).toBe(true);
    expect(rule?.keys.test('DB_PASSWORD')).toBe(true);
  });

  it('names the offending field in a ConfigError', () => {
    const bad = (input: unknown, field: string) => {
      try {
        compileMaskingPolicy(input);
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).field).toBe(field);
      }
    };
    bad({ rules: [{ groups: ['*'], env: { mode: 'sometimes' } }] }, 'masking.rules[0].env.mode');
    bad({ rules: [{ groups: [] }] }, 'masking.rules[0].groups');
    bad({ rules: [{ groups: ['*'], logs: { detectors: ['ssn'] } }] }, 'masking.rules[0].logs.detectors[0]');
    bad({ rules: [{ groups: ['*'], secret: false }] }, 'masking.rules[0]');
    bad({ limits: { maxObjectBytes: 10 } }, 'masking.limits.maxObjectBytes');
  });
});
