import { describe, expect, it } from 'vitest';
import { parseReviewRule } from '../../src/approvals/review-rule.ts';
import { resolveSlack, slackSchema } from '../../src/config/slack.ts';
import { resolveTeams, teamsSchema } from '../../src/config/teams.ts';
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

describe('teams: config section', () => {
  const appId = '0b0b0b0b-1111-2222-3333-444444444444';
  it('fills in defaults and needs a secret or a managed identity', () => {
    const settings = resolveTeams(teamsSchema.parse({ appId, appPassword: 'client-secret-1' }))!;
    expect(settings).toMatchObject({
      path: '/api/messages',
      listen: { host: '0.0.0.0', port: 3978 },
      windowSeconds: 900,
      openIdMetadataUrl: 'https://login.botframework.com/v1/.well-known/openidconfiguration',
      tokenIssuer: 'https://api.botframework.com',
      approvers: { users: {}, byUpn: false, groups: {} },
    });
    expect(teamsSchema.safeParse({ appId }).error?.issues[0]?.message).toContain('managedIdentity');
    expect(teamsSchema.safeParse({ appId, managedIdentity: 'system' }).success).toBe(true);
    expect(teamsSchema.safeParse({ appId: 'hoop', appPassword: 'client-secret-1' }).success).toBe(false);
    expect(
      teamsSchema.safeParse({ appId, appPassword: 'client-secret-1', channel: '#general' }).success,
    ).toBe(false);
    expect(resolveTeams(undefined)).toBeUndefined();
  });

  it('lets a review rule name its Teams channel beside its Slack channel', () => {
    const policy = loadPolicy(
      "rules:\n  - name: prod-deletes\n    action: review\n    match: { verbs: [delete] }\n    review: { notify: { slack: { channel: C0PRODOPS }, teams: { channel: '19:ops@thread.tacv2' } } }\n",
    );
    const spec = policy.rules[0]!.review!;
    const notify = { slack: { channel: 'C0PRODOPS' }, teams: { channel: '19:ops@thread.tacv2' } };
    expect(spec.notify).toEqual(notify);
    expect(parseReviewRule(spec).notify).toEqual(notify);
  });
});
