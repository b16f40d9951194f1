/**
 * The AWS identities the stand-in knows in tests and in the demo. These keys are made up: they
 * sign requests only the stand-in checks, on loopback, and open nothing anywhere else.
 */
import type { StandInRole, StandInUser } from './aws-stand-in.ts';

export const TEST_ACCOUNT_ID = '111122223333';
export const TEST_REGION = 'us-east-1';

/** The gateway's own identity (what IRSA or Pod Identity would give it on EKS). */
export const GATEWAY_USER: StandInUser = {
  name: 'hoop-gateway',
  accessKeyId: 'AKIAHOOPGATEWAYTEST1',
  secretAccessKey: 'gatewayTestSecret/NotARealKey+0000000000',
};

/** An agent with long-lived keys (its ARN is a user ARN). */
export const AGENT_USER: StandInUser = {
  name: 'agent-ci',
  accessKeyId: 'AKIAHOOPAGENTTEST001',
  secretAccessKey: 'agentTestSecret/NotARealKey+00000000000',
};

/** Someone the gateway has no mapping for. */
export const STRANGER_USER: StandInUser = {
  name: 'stranger',
  accessKeyId: 'AKIAHOOPSTRANGER0001',
  secretAccessKey: 'strangerTestSecret/NotARealKey+00000000',
};

/** Roles: agents assume `agents-deploy`; the gateway may assume `eks-access` (with an external id). */
export const TEST_ROLES: StandInRole[] = [
  { name: 'agents-deploy', trustedPrincipals: [`arn:aws:iam::${TEST_ACCOUNT_ID}:user/${AGENT_USER.name}`] },
  {
    name: 'eks-access',
    trustedPrincipals: [`arn:aws:iam::${TEST_ACCOUNT_ID}:user/${GATEWAY_USER.name}`],
    externalId: 'hoop-test-external-id',
  },
  { name: 'hoop-gateway-irsa', webIdentityTokens: ['irsa-test-web-identity-token'] },
];
