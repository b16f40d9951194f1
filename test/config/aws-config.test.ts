import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';

/** The `authentication.aws` and `clusters[].eks` sections: what is accepted, what is refused and why. */

const base = {
  authentication: {
    aws: {
      gatewayId: 'hoop-prod',
      mappings: [
        {
          arn: 'arn:aws:iam::123456789012:role/agents-*',
          username: 'aws:{{SessionName}}',
          groups: ['ai-agents'],
        },
      ],
    },
  },
  clusters: [{ name: 'prod', eks: { clusterName: 'prod-eks', region: 'eu-west-1' } }],
  policy: {},
};
const issue = (config: unknown) => {
  const parsed = configSchema.safeParse(config);
  return parsed.success ? undefined : parsed.error.issues[0]?.message;
};
const withAws = (aws: Record<string, unknown>) => ({
  ...base,
  authentication: { aws: { ...base.authentication.aws, ...aws } },
});
const withEks = (eks: Record<string, unknown>) => ({
  ...base,
  clusters: [{ name: 'prod', eks: { clusterName: 'prod-eks', region: 'eu-west-1', ...eks } }],
});

describe('AWS configuration', () => {
  it('accepts AWS IAM authentication alone (no OIDC issuer) and an EKS cluster', () => {
    expect(issue(base)).toBeUndefined();
    expect(issue({ ...base, authentication: {} })).toMatch(/at least one OIDC issuer .* or AWS IAM/);
  });

  it('refuses unknown template placeholders, non-ARN patterns and loopback connect-to elsewhere', () => {
    expect(issue(withAws({ mappings: [{ arn: 'arn:aws:iam::1:role/x', username: '{{Email}}' }] }))).toMatch(
      /unknown placeholder \{\{Email\}\}/,
    );
    expect(issue(withAws({ mappings: [{ arn: 'role/x', username: 'x' }] }))).toMatch(/an IAM ARN/);
    expect(issue(withAws({ stsEndpoints: ['http://sts.example.com'] }))).toMatch(/https/);
    expect(issue(withAws({ stsEndpoints: ['http://127.0.0.1:4566/path'] }))).toMatch(/origin only/);
    expect(issue(withAws({ stsConnectTo: 'https://sts.example.com' }))).toMatch(/loopback/);
    expect(issue(withAws({ gatewayId: 'has space' }))).toMatch(/letters, digits/);
  });

  it('EKS clusters: one credential source, endpoint with CA, sessionTags with a role', () => {
    expect(
      issue({
        ...base,
        clusters: [{ name: 'p', inCluster: true, eks: { clusterName: 'c', region: 'eu-west-1' } }],
      }),
    ).toMatch(/exactly one upstream credential source/);
    expect(issue(withEks({ endpoint: 'https://x.eks.amazonaws.com' }))).toMatch(/together/);
    expect(issue(withEks({ endpoint: 'http://x', certificateAuthorityData: 'Q0E=' }))).toBeDefined();
    expect(issue(withEks({ sessionTags: true }))).toMatch(/sessionTags needs roleArn/);
    expect(
      issue(withEks({ roleArn: 'arn:aws:iam::123456789012:role/eks', sessionTags: true })),
    ).toBeUndefined();
    expect(issue(withEks({ region: 'europe' }))).toMatch(/region/);
    expect(issue(withEks({ sessionName: 'a b' }))).toMatch(/2-64/);
  });
});
