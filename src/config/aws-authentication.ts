import { z } from 'zod';
import { insecureUrlReason, isLoopbackUrl } from '../authn/secure-url.ts';

/**
 * `authentication.aws`: agents that authenticate with AWS IAM, sending the same token EKS takes
 * (`aws eks get-token --cluster-name <gatewayId>`). Validated here; used by
 * gateway/authn/aws-authenticator.ts. See docs/eks.md.
 */

/** The placeholders a mapping's username and groups may use (the ones EKS's access mappings know). */
export const ARN_TEMPLATE_VARIABLES = ['AccountID', 'SessionName'] as const;

const template = z
  .string()
  .min(1)
  .superRefine((value, ctx) => {
    for (const [, name] of value.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)) {
      if (!(ARN_TEMPLATE_VARIABLES as readonly string[]).includes(name ?? '')) {
        ctx.addIssue({
          code: 'custom',
          message: `unknown placeholder {{${name}}}; use ${ARN_TEMPLATE_VARIABLES.map((v) => `{{${v}}}`).join(' or ')}`,
        });
      }
    }
  });

const origin = z.string().superRefine((value, ctx) => {
  const reason = insecureUrlReason(value);
  if (reason) return ctx.addIssue({ code: 'custom', message: reason });
  const url = new URL(value);
  if (url.pathname !== '/' || url.search || url.hash) {
    ctx.addIssue({ code: 'custom', message: 'an origin only: scheme, host and port (no path)' });
  }
});

export const awsMappingSchema = z.strictObject({
  /** The ARN the agent's identity maps from; `*` matches any run of characters. */
  arn: z
    .string()
    .regex(/^arn:[a-z-]+:(iam|sts)::/, 'an IAM ARN, e.g. arn:aws:iam::123456789012:role/agents-*'),
  /** Kubernetes username; may use {{SessionName}} and {{AccountID}}. */
  username: template,
  groups: z.array(template).default([]),
});

export const awsAuthenticationSchema = z.strictObject({
  /**
   * The name agents pass as `--cluster-name`: it is signed into their token (`x-k8s-aws-id`), so a
   * token made for an EKS cluster or for another gateway is refused here, and the other way round.
   */
  gatewayId: z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/,
      'letters, digits, ".", "_" and "-" (like an EKS cluster name)',
    ),
  /**
   * Extra STS origins accepted in tokens besides AWS's own (https://sts.amazonaws.com and
   * https://sts.<region>.amazonaws.com). For tests and stand-ins only: an origin listed here is
   * trusted to say who an agent is.
   */
  stsEndpoints: z.array(origin).default([]),
  /**
   * Tests only: send every STS request to this loopback origin instead of the token's host (the
   * Host header still names the token's host, whose signature the stand-in checks).
   */
  stsConnectTo: origin
    .refine((value) => isLoopbackUrl(new URL(value)), 'a loopback origin (tests only)')
    .optional(),
  /** How long to wait for STS; default 5s. */
  stsTimeout: z
    .string()
    .regex(/^\d+(ms|s)$/, 'a duration such as 500ms or 5s')
    .default('5s'),
  /** ARN → Kubernetes identity, first match wins; an agent no mapping names is refused (401). */
  mappings: z.array(awsMappingSchema).min(1, 'map at least one IAM ARN to a username'),
});

export type AwsAuthenticationConfig = z.infer<typeof awsAuthenticationSchema>;
export type AwsMapping = z.infer<typeof awsMappingSchema>;
