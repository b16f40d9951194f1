import type { CompiledRule, PolicyInput } from './policy.types.ts';

/**
 * The sentences a caller reads when the policy says no or "wait for a human". kubectl prints them
 * as `Error from server (Forbidden): <message>`, and an AI agent reads them as its only clue, so
 * each says what happened, why, and what to do next, and says plainly that retrying the same
 * request will not help.
 */

/** `"delete" on pods "db-0" in namespace "payments" (API group "", cluster "prod")`. */
export function describeRequest(input: PolicyInput): string {
  const { info, cluster } = input;
  const on = cluster ? ` on cluster ${JSON.stringify(cluster)}` : '';
  if (!info.isResourceRequest) return `${JSON.stringify(info.verb)} on ${info.path}${on}`;
  const resource = info.subresource ? `${info.resource}/${info.subresource}` : info.resource;
  const group = info.apiGroup ? ` (API group ${JSON.stringify(info.apiGroup)})` : '';
  const name = info.name ? ` ${JSON.stringify(info.name)}` : '';
  const collection = info.verb === 'list' || info.verb === 'watch' || info.verb === 'deletecollection';
  const scope = info.namespace
    ? ` in namespace ${JSON.stringify(info.namespace)}`
    : collection
      ? ' across all namespaces (or cluster-scoped)'
      : '';
  return `${JSON.stringify(info.verb)} on ${resource}${name}${group}${scope}${on}`;
}

function who(input: PolicyInput): string {
  return JSON.stringify(input.caller.subject);
}

function withAuthorNote(rule: CompiledRule): string {
  if (!rule.message) return '';
  const text = rule.message.trim();
  return ` The policy says: ${/[.!?]$/.test(text) ? text : `${text}.`}`;
}

const NO_RETRY = 'This is the gateway policy, not a cluster error: retrying the same request will not help.';

export function ruleDenyMessage(rule: CompiledRule, input: PolicyInput): string {
  return (
    `hoop-gateway policy rule ${JSON.stringify(rule.name)} denies ${describeRequest(input)} for ` +
    `${who(input)}.${withAuthorNote(rule)} ${NO_RETRY} Do something else the policy allows, or ask the ` +
    `platform team to change rule ${JSON.stringify(rule.name)} if this request should be allowed.`
  );
}

export function defaultDenyMessage(input: PolicyInput): string {
  return (
    `hoop-gateway policy denies ${describeRequest(input)} for ${who(input)}: no rule allows it and ` +
    `the policy's default is deny. ${NO_RETRY} Do something else the policy allows, or ask the ` +
    'platform team to add a rule that allows (or sends to review) this request.'
  );
}

export function reviewMessage(rule: CompiledRule, input: PolicyInput): string {
  return (
    `hoop-gateway policy rule ${JSON.stringify(rule.name)} requires human approval for ` +
    `${describeRequest(input)} by ${who(input)}.${withAuthorNote(rule)} The request is held while ` +
    'approvers are asked; it proceeds if approved and fails with Forbidden if rejected or expired.'
  );
}
