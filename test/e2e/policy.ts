/**
 * The policy the end-to-end suite runs under: the demo policy's rules for agents (read
 * everything; exec, attach and port-forward; change objects in `scratch`; never port-forward into
 * `payments`) with namespace deletion denied outright. The demo policy (examples/demo-policy.yaml)
 * sends namespace deletion to human review, which needs Redis and an approver; the approvals
 * tests cover that. Spelling the rules out here keeps this suite's expectations (which rule
 * answers, with which message) independent of edits to the demo.
 */
export const NAMESPACE_DELETE_MESSAGE =
  'Deleting a namespace deletes everything in it and cannot be undone. Delete the individual objects you created instead.';

export const PORT_FORWARD_PAYMENTS_MESSAGE =
  'Port-forwarding into the payments namespace is not allowed: it would open a direct network path to payment systems.';

export const E2E_POLICY = {
  default: 'deny',
  rules: [
    {
      name: 'agents-read',
      action: 'allow',
      message: 'Agents may read every namespace.',
      match: { groups: ['ai-agents'], verbs: ['get', 'list', 'watch'] },
    },
    {
      name: 'agents-exec',
      action: 'allow',
      message: 'Agents may exec into, attach to and port-forward to pods.',
      match: {
        groups: ['ai-agents'],
        verbs: ['create', 'get'],
        resources: ['pods/exec', 'pods/attach', 'pods/portforward'],
      },
    },
    {
      name: 'agents-change-scratch',
      action: 'allow',
      message: 'Agents may create, change and delete ordinary objects in the scratch namespace.',
      match: {
        groups: ['ai-agents'],
        namespaces: ['scratch'],
        verbs: ['create', 'update', 'patch', 'delete', 'deletecollection'],
      },
    },
    {
      name: 'no-port-forward-in-payments',
      action: 'deny',
      message: PORT_FORWARD_PAYMENTS_MESSAGE,
      match: { namespaces: ['payments'], resources: ['pods/portforward'] },
    },
    {
      name: 'no-namespace-delete',
      action: 'deny',
      message: NAMESPACE_DELETE_MESSAGE,
      match: { resources: ['namespaces'], verbs: ['delete', 'deletecollection'] },
    },
  ],
};
