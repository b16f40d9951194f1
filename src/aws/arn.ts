/**
 * The identity STS's GetCallerIdentity returns, as EKS maps it: an assumed-role ARN
 * (`arn:aws:sts::ACCT:assumed-role/ROLE/SESSION`) stands for its role
 * (`arn:aws:iam::ACCT:role/ROLE`) with the session name kept apart, so that mappings name roles
 * and usernames may carry the session. A role's path is not part of an assumed-role ARN, so it
 * cannot be part of the mapped ARN either (EKS has the same limitation).
 */

export interface AwsPrincipal {
  /** What mappings match: the role ARN for an assumed role, otherwise the ARN as STS returned it. */
  arn: string;
  /** The ARN exactly as STS returned it. */
  callerArn: string;
  accountId: string;
  /** The role session name, for assumed roles; '' otherwise. */
  sessionName: string;
}

const ARN = /^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b):(iam|sts)::(\d{12}):(.+)$/;

/** Normalises a caller ARN; undefined when it is not an IAM or STS principal ARN. */
export function principalOfArn(callerArn: string): AwsPrincipal | undefined {
  const match = ARN.exec(callerArn);
  if (!match) return undefined;
  const [, partition, service, accountId, resource] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
  ];
  if (service === 'sts') {
    const assumed = /^assumed-role\/([\w+=,.@-]+)\/([\w+=,.@-]+)$/.exec(resource);
    if (!assumed) {
      // Federated users (federated-user/NAME) stay as they are.
      return /^federated-user\/[\w+=,.@-]+$/.test(resource)
        ? { arn: callerArn, callerArn, accountId, sessionName: '' }
        : undefined;
    }
    return {
      arn: `arn:${partition}:iam::${accountId}:role/${assumed[1]}`,
      callerArn,
      accountId,
      sessionName: assumed[2] ?? '',
    };
  }
  if (resource === 'root' || /^(user|role)\/[\w+=,.@/-]+$/.test(resource)) {
    return { arn: callerArn, callerArn, accountId, sessionName: '' };
  }
  return undefined;
}

/** `arn:aws:iam::123456789012:role/agents-*`: `*` matches any run of characters, nothing else is special. */
export function arnPatternMatches(pattern: string, arn: string): boolean {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`).test(arn);
}
