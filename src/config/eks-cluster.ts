import { z } from 'zod';

/**
 * `clusters[].eks`: an EKS cluster reached with the gateway's own AWS identity (the default
 * credential chain: IRSA, Pod Identity, instance profile, environment), optionally through a
 * per-cluster role. Used by gateway/upstream/credentials/eks.ts; see docs/eks.md.
 */
export const eksClusterSchema = z
  .strictObject({
    /** The EKS cluster's name: signed into the token (`x-k8s-aws-id`). */
    clusterName: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'an EKS cluster name'),
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, 'an AWS region such as eu-west-1'),
    /** Assume this role for the cluster (e.g. in another account); default: the gateway's own identity. */
    roleArn: z
      .string()
      .regex(/^arn:[a-z-]+:iam::\d{12}:role\/[\w+=,.@/-]+$/, 'an IAM role ARN')
      .optional(),
    /** The role's trust policy condition sts:ExternalId. */
    externalId: z
      .string()
      .regex(/^[\w+=,.@:/-]{2,1224}$/, '2-1224 characters: letters, digits and +=,.@:/-')
      .optional(),
    /** Role session name (seen in CloudTrail and EKS audit logs); default hoop-gateway. */
    sessionName: z
      .string()
      .regex(/^[\w+=,.@-]{2,64}$/, '2-64 characters: letters, digits and +=,.@-')
      .optional(),
    /**
     * One role session per agent, tagged with the agent's identity (session tag `hoop-agent`,
     * SourceIdentity and session name), so CloudTrail and the EKS audit log name the agent.
     * Costs one AssumeRole per agent and hour; needs roleArn, sts:TagSession and
     * sts:SetSourceIdentity in the role's trust policy.
     */
    sessionTags: z.boolean().default(false),
    /** How many agents' sessions are kept at once with sessionTags (least recently used go); default 1000. */
    maxAgentSessions: z.number().int().min(1).max(100_000).default(1000),
    /** API server URL; with certificateAuthorityData, else both come from eks:DescribeCluster at start-up. */
    endpoint: z.url({ protocol: /^https$/ }).optional(),
    /** Base64 PEM of the cluster CA (as in DescribeCluster's certificateAuthority.data). */
    certificateAuthorityData: z.string().min(1).optional(),
  })
  .refine((c) => Boolean(c.endpoint) === Boolean(c.certificateAuthorityData), {
    message:
      'set endpoint and certificateAuthorityData together, or neither (looked up with eks:DescribeCluster)',
  })
  .refine((c) => !c.sessionTags || Boolean(c.roleArn), {
    message: 'sessionTags needs roleArn: per-agent sessions are sessions of that role',
  });

export type EksClusterConfig = z.infer<typeof eksClusterSchema>;
