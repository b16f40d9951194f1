import { describe, expect, it } from 'vitest';
import { parseReviewRule } from '../../src/approvals/review-rule.ts';
import { resolveSlack, slackSchema } from '../../src/config/slack.ts';
import { loadPolicy } from '../../src/policy/load.ts';

describe('slack: config section', () => {
  it('fills in defaults and checks what each mode needs', () => {
    const settings = resolveSlack(slackSchema.parse({ botToken: 'xoxb-1', signingSecret: 'secret-123' }))!;
    expect(settings).toMatchObject({
      mode: 'http',
      path: '/slack/events',
      listen: { host: '0.0.0.0', port: 3000 },
      windowSeconds: 900,
      postIntervalMs: 1000,
      apiUrl: 'https://slack.com/api/',
      approvers: { users: {}, byEmail: false, groups: {} },
    });
    expect(slackSchema.safeParse({ botToken: 'xoxb-1' }).error?.issues[0]?.message).toContain(
      'signingSecret',
    );
    expect(slackSchema.safeParse({ botToken: 'xoxb-1', mode: 'socket' }).error?.issues[0]?.message).toContain(
      'appToken',
    );
    expect(slackSchema.safeParse({ botToken: 'xoxp-user', signingSecret: 'secret-123' }).success).toBe(false);
    expect(
      slackSchema.safeParse({ botToken: 'xoxb-1', signingSecret: 'secret-123', channel: 'general' }).success,
    ).toBe(false);
    expect(resolveSlack(undefined)).toBeUndefined();
  });
});

describe('a review rule may name its Slack channel', () => {
  it('compiles notify.slack.channel and carries it into the approvals rule', () => {
    const policy = loadPolicy(
      'rules:\n  - name: prod-deletes\n    action: review\n    match: { verbs: [delete] }\n    review: { notify: { slack: { channel: C0PRODOPS } } }\n',
    );
    const spec = policy.rules[0]!.review!;
    expect(spec.notify).toEqual({ slack: { channel: 'C0PRODOPS' } });
    expect(parseReviewRule(spec).notify).toEqual({ slack: { channel: 'C0PRODOPS' } });
  });
});
