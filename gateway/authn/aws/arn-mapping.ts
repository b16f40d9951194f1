import type { Caller } from '../../../src/authn/caller.ts';
import { type AwsPrincipal, arnPatternMatches } from '../../../src/aws/arn.ts';
import type { AwsMapping } from '../../../src/config/aws-authentication.ts';
import { unauthorized } from '../../../src/errors.ts';

/** The `issuer` of every caller authenticated by AWS IAM (recordings and cards show it). */
export const AWS_IAM_ISSUER = 'aws-iam';

/**
 * A principal STS vouched for → the caller, through the first mapping whose `arn` pattern
 * matches (assumed roles match as their role). `{{SessionName}}` and `{{AccountID}}` fill in.
 * No mapping, or a mapping that needs a session name the principal has not, is a 401 naming the
 * ARN (not a secret: it says which mapping to add) and never the token.
 *
 * The claims keep the ARN (`arn`: the role for an assumed role; `callerArn`: as STS said) as
 * context for policy, approvals and recordings. The caller is frozen: it is cached and shared.
 */
export function callerOfPrincipal(principal: AwsPrincipal, mappings: readonly AwsMapping[]): Caller {
  const mapping = mappings.find((m) => arnPatternMatches(m.arn, principal.arn));
  if (!mapping) {
    throw unauthorized(
      `AWS identity ${principal.arn} is not mapped to a Kubernetes user by this gateway; ` +
        'ask its operator to add a mapping for that ARN (authentication.aws.mappings)',
    );
  }
  const fill = (template: string) =>
    template.replace(/\{\{\s*(AccountID|SessionName)\s*\}\}/g, (_all, name: string) => {
      const value = name === 'AccountID' ? principal.accountId : principal.sessionName;
      if (!value) {
        throw unauthorized(
          `AWS identity ${principal.arn} has no ${name} for the mapping's "${template}"; ` +
            'use an assumed-role session (aws sts assume-role) or ask the operator to change the mapping',
        );
      }
      return value;
    });
  const subject = fill(mapping.username);
  const groups = [...new Set(mapping.groups.map(fill))];
  const claims: Record<string, string> = {
    sub: subject,
    arn: principal.arn,
    callerArn: principal.callerArn,
    accountId: principal.accountId,
  };
  if (principal.sessionName) claims['sessionName'] = principal.sessionName;
  return Object.freeze({
    issuer: AWS_IAM_ISSUER,
    subject,
    groups: Object.freeze(groups) as string[],
    claims: Object.freeze(claims),
  });
}
