import type { Caller } from '../../src/authn/caller.ts';
import { EKS_TOKEN_PREFIX } from '../../src/aws/eks-token.ts';
import { unauthorized } from '../../src/errors.ts';

interface Verifier {
  authenticate(token: string): Promise<Caller>;
}

/**
 * One bearer token, one verifier, chosen by its shape and never by trial: a token starting with
 * `k8s-aws-v1.` goes to the AWS IAM verifier, anything else to the OpenID issuers. A token is
 * never shown to a verifier it was not made for (an OIDC issuer never sees an AWS token's URL,
 * STS never sees a JWT), and a kind the gateway is not configured for is a 401 saying so.
 */
export function routeTokens(verifiers: {
  oidc?: Verifier | undefined;
  aws?: Verifier | undefined;
}): Verifier {
  return {
    authenticate(token) {
      if (token.startsWith(EKS_TOKEN_PREFIX)) {
        if (!verifiers.aws) {
          return Promise.reject(
            unauthorized(
              'this gateway does not accept AWS IAM tokens (k8s-aws-v1.); use an access token from its OpenID issuer',
            ),
          );
        }
        return verifiers.aws.authenticate(token);
      }
      if (!verifiers.oidc) {
        return Promise.reject(
          unauthorized(
            'this gateway only accepts AWS IAM tokens: make one with `aws eks get-token --cluster-name <gateway id>`',
          ),
        );
      }
      return verifiers.oidc.authenticate(token);
    },
  };
}
