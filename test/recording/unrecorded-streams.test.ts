import { describe, expect, it } from 'vitest';
import { allowsUnrecordedStreams, UNRECORDABLE_MESSAGE } from '../../gateway/upgrade-router.ts';
import { loadPolicy } from '../../src/policy/load.ts';

describe('allowUnrecordedStreams', () => {
  const rules = [
    { name: 'legacy', action: 'allow', allowUnrecordedStreams: true, match: { groups: ['legacy-ci'] } },
    { name: 'agents', action: 'allow', match: { groups: ['ai-agents'] } },
  ];

  it('is off unless the policy or the deciding rule sets it', () => {
    const policy = loadPolicy({ rules });
    expect(policy.allowUnrecordedStreams).toBeUndefined();
    expect(allowsUnrecordedStreams(policy, 'legacy')).toBe(true);
    expect(allowsUnrecordedStreams(policy, 'agents')).toBe(false);
    expect(allowsUnrecordedStreams(policy, undefined)).toBe(false);
  });

  it('applies to every allowed call when set at the top level', () => {
    const policy = loadPolicy({ allowUnrecordedStreams: true, rules });
    expect(allowsUnrecordedStreams(policy, 'agents')).toBe(true);
  });

  it('is validated like every policy field', () => {
    expect(() => loadPolicy({ allowUnrecordedStreams: 'yes' })).toThrow(
      /allowUnrecordedStreams: must be true or false/,
    );
    expect(() => loadPolicy({ rules: [{ ...rules[0], allowUnrecordedStreams: 1 }] })).toThrow(
      /rules\[0\]\.allowUnrecordedStreams: must be true or false/,
    );
  });

  it('refuses with a message that says how to get a recordable client', () => {
    expect(UNRECORDABLE_MESSAGE).toContain('kubectl 1.30 or later');
    expect(UNRECORDABLE_MESSAGE).toContain('KUBECTL_REMOTE_COMMAND_WEBSOCKETS=true');
  });
});
