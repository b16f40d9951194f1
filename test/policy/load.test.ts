import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.ts';
import { loadPolicy, PolicyYaml } from '../../src/policy/load.ts';
import { loadPolicyFile, policyOfConfig } from '../../src/policy/load-file.ts';

function errorOf(load: () => unknown): ConfigError {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const rule = (match: string, extra = '') => `
rules:
  - name: ok
    action: allow
  - name: broken
    action: deny${extra}
    match: ${match}
`;

// [title, YAML, expected field, expected message fragment]
const broken: Array<[string, string, string, string]> = [
  ['unknown verb', rule('{ verbs: [get, destroy] }'), 'rules[1].match.verbs[1]', 'unknown verb "destroy"'],
  [
    'non-resource verb on a resource rule',
    rule('{ verbs: [post], resources: [pods] }'),
    'rules[1].match.verbs[0]',
    'unknown verb "post"',
  ],
  [
    'resource verb on a URL rule',
    rule('{ verbs: [list], nonResourceURLs: [/healthz] }'),
    'rules[1].match.verbs[0]',
    'non-resource verbs',
  ],
  [
    'unknown matcher',
    rule('{ verb: [get] }'),
    'rules[1].match.verb',
    'unknown field; expected one of: subjects, groups',
  ],
  ['unknown rule field', rule('{}', '\n    mesage: hi'), 'rules[1].mesage', 'unknown field'],
  [
    'unknown top-level field',
    'defualt: deny\n',
    'defualt',
    'unknown field; expected one of: default, builtinDiscovery, rules',
  ],
  [
    'bad action',
    'rules:\n  - name: a\n    action: permit\n',
    'rules[0].action',
    'must be allow, deny or review',
  ],
  ['missing action', 'rules:\n  - name: a\n', 'rules[0].action', 'is required'],
  ['missing name', 'rules:\n  - action: allow\n', 'rules[0].name', 'is required'],
  [
    'duplicate names',
    'rules:\n  - {name: a, action: allow}\n  - {name: a, action: deny}\n',
    'rules[1].name',
    'duplicate rule name "a" (also rules[0])',
  ],
  ['reserved name', 'rules:\n  - {name: "builtin:x", action: allow}\n', 'rules[0].name', 'reserved'],
  ['bad default', 'default: review\n', 'default', 'must be allow or deny'],
  ['matcher is not a list', rule('{ verbs: get }'), 'rules[1].match.verbs', 'must be a list of verbs'],
  ['empty matcher list', rule('{ resources: [] }'), 'rules[1].match.resources', 'list at least one resource'],
  ['bad resource', rule('{ resources: [pods/exec/x] }'), 'rules[1].match.resources[0]', 'is not a resource'],
  ['empty name entry', rule('{ names: [""] }'), 'rules[1].match.names[0]', 'must not be empty'],
  [
    'URL without slash',
    rule('{ nonResourceURLs: [healthz] }'),
    'rules[1].match.nonResourceURLs[0]',
    'starting with "/"',
  ],
  [
    'resource and URL matchers mixed',
    rule('{ resources: [pods], nonResourceURLs: [/x] }'),
    'rules[1].match.nonResourceURLs',
    'cannot be combined with resources',
  ],
  [
    'review settings on a deny rule',
    rule('{}', '\n    review: { minApprovals: 2 }'),
    'rules[1].review',
    'only applies to action: review',
  ],
  [
    'review on URLs',
    'rules:\n  - name: r\n    action: review\n    match: { nonResourceURLs: [/metrics] }\n',
    'rules[0].action',
    'never holds',
  ],
  [
    'bad timeout',
    'rules:\n  - name: r\n    action: review\n    review: { timeout: 10 minutes }\n',
    'rules[0].review.timeout',
    'duration',
  ],
  [
    'bad minApprovals',
    'rules:\n  - name: r\n    action: review\n    review: { minApprovals: 0 }\n',
    'rules[0].review.minApprovals',
    'at least 1',
  ],
  [
    'bad grant',
    'rules:\n  - name: r\n    action: review\n    review: { grant: forever }\n',
    'rules[0].review.grant',
    'must be "once"',
  ],
  ['not a mapping', '- a\n- b\n', '(policy)', 'must be a mapping'],
  ['empty document', '', '(policy)', 'the policy is empty'],
  ['YAML syntax', 'rules: [\n', '(policy)', 'not valid YAML'],
  ['duplicate YAML key', 'default: deny\ndefault: allow\n', '(policy)', 'not valid YAML'],
];

describe('loadPolicy validation', () => {
  it.each(broken)('%s', (_title, yaml, field, fragment) => {
    const error = errorOf(() => loadPolicy(yaml));
    expect(error.field).toBe(field);
    expect(error.message).toContain(fragment);
    expect(error.message.startsWith(`${field}: `)).toBe(true);
  });

  it('adds the YAML line to messages', () => {
    const error = errorOf(() => loadPolicy(rule('{ verbs: [get, destroy] }')));
    expect(error.message).toMatch(/\(line 7\)$/);
  });

  it('prefixes embedded and file sources', () => {
    const error = errorOf(() =>
      loadPolicy({ rules: [{ name: 'a', action: 'nope' }] }, { source: 'hoop.yaml', fieldPrefix: 'policy' }),
    );
    expect(error.field).toBe('hoop.yaml: policy.rules[0].action');
  });

  it('takes YAML parsed once (PolicyYaml) like text, lines included', () => {
    const error = errorOf(() => loadPolicy(new PolicyYaml(rule('{ verbs: [get, destroy] }'))));
    expect(error.message).toMatch(/\(line 7\)$/);
    expect(loadPolicy(new PolicyYaml('{}')).rules).toEqual([]);
  });

  it('accepts an empty mapping with the defaults', () => {
    const policy = loadPolicy('{}');
    expect(policy).toMatchObject({ default: 'deny', builtinDiscovery: true, rules: [] });
    expect(policy.evaluated.map((r) => r.name)).toEqual([
      'builtin:discovery',
      'builtin:self-review',
      'builtin:self-review',
    ]);
  });
});

describe('loadPolicyFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hoop-policy-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const policyPath = write('policy.yaml', 'rules:\n  - {name: a, action: allow}\n');

  it('loads a policy file, an embedded policy and a referenced one', async () => {
    expect((await loadPolicyFile(policyPath)).rules).toHaveLength(1);
    const embedded = write(
      'embedded.yaml',
      'listen: {port: 1}\npolicy:\n  rules:\n    - {name: a, action: allow}\n    - {name: b, action: deny}\n',
    );
    expect((await loadPolicyFile(embedded)).rules).toHaveLength(2);
    const referencing = write('ref.yaml', 'clusters: []\npolicyFile: policy.yaml\n');
    expect((await loadPolicyFile(referencing)).source).toBe(policyPath);
  });

  it('names the file and field in errors', async () => {
    const embedded = write('bad-embedded.yaml', 'policy:\n  rules:\n    - {name: a, action: nope}\n');
    await expect(loadPolicyFile(embedded)).rejects.toThrow(
      `${embedded}: policy.rules[0].action: must be allow`,
    );
    const missing = write('missing-ref.yaml', 'policyFile: nowhere.yaml\n');
    await expect(loadPolicyFile(missing)).rejects.toThrow('no such file');
    const both = write('both.yaml', 'policy: {}\npolicyFile: policy.yaml\n');
    await expect(loadPolicyFile(both)).rejects.toThrow('not both');
    const config = write('config-only.yaml', 'listen: {port: 1}\n');
    await expect(loadPolicyFile(config)).rejects.toThrow('no policy found');
  });

  it('compiles the policy of a config its caller has parsed already, unexpanded', async () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's env syntax, not a template
    const placeholder = '${NOT_EXPANDED}';
    const embedded = { policy: { rules: [{ name: 'a', action: 'allow', message: placeholder }] } };
    const policy = await policyOfConfig(join(dir, 'hoop.yaml'), embedded);
    expect(policy.rules[0]?.message).toBe(placeholder);
    expect((await policyOfConfig(join(dir, 'hoop.yaml'), { policyFile: 'policy.yaml' })).source).toBe(
      policyPath,
    );
    await expect(policyOfConfig(join(dir, 'hoop.yaml'), { policyFile: '' })).rejects.toThrow(
      'must be the path of a policy file',
    );
  });
});
