import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import type { Caller } from '../src/authn/caller.ts';
import { ConfigError, StatusError } from '../src/errors.ts';
import { evaluate } from '../src/policy/evaluate.ts';
import { identityWarnings } from '../src/policy/identity-warnings.ts';
import { loadPolicyFile } from '../src/policy/load-file.ts';
import type { Decision } from '../src/policy/policy.types.ts';
import { proxyWarnings } from '../src/policy/proxy-subresources.ts';
import { classifyRequest } from '../src/request/request-info.ts';
import type { RequestInfo } from '../src/request/request-info.types.ts';
import { parseCommandArgs, UsageError } from './args.ts';

/**
 * `hoop-gateway policy check FILE` and `hoop-gateway policy explain …`: the policy author's tools.
 * `check` validates a policy (or the policy inside a gateway config) exactly as the gateway will
 * load it; `explain` runs one request through the same classifier and evaluator the gateway uses,
 * so what it prints is what the gateway would do. `check` prints a policy error as one line naming
 * the field and exits 1; usage errors are thrown as UsageError (bin/hoop-gateway.ts prints them,
 * exit 2).
 *
 * `explain` answers with its exit code too, as `kubectl auth can-i` does, so a script can ask
 * "would this go through?" without parsing text: 0 allow, 1 deny (or refused before the policy),
 * 3 review. Review gets a code of its own rather than 0 or 1 because it is neither: the call
 * would wait for a person, which a script usually has to treat differently from both (and
 * `if … policy explain …` still reads it as "not unattended"). A policy file it cannot load is a
 * config error, exit 2, so that it is never mistaken for a deny.
 */

/** `policy explain`'s exit codes. */
export const EXPLAIN_EXIT = { allow: 0, deny: 1, config: 2, review: 3 } as const;

const USAGE = `usage:
  hoop-gateway policy check FILE
  hoop-gateway policy explain --policy FILE --subject S [--groups a,b] [--cluster C] [--output text|json] METHOD PATH

FILE is a policy, or a gateway config with policy: or policyFile:. PATH may carry a query string
and a /clusters/<name> prefix (which sets the cluster).

check exits 0 when the policy is valid (warnings, e.g. a resource no cluster serves, are printed
on stderr but keep 0), 1 when it is not. explain exits with the decision, as kubectl auth can-i
does: 0 allow, 1 deny (also a request refused before the policy), 3 review (the call would wait
for a person's approval), 2 for a usage error or a policy file that does not load.
`;

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'check') return check(rest);
  if (sub === 'explain') return explain(rest);
  if (sub === undefined || sub === 'help' || sub === '--help' || sub === '-h') {
    process.stdout.write(USAGE);
    return sub === undefined ? 2 : 0;
  }
  throw new UsageError(`unknown policy subcommand "${sub}"\n\n${USAGE}`);
}

async function check(args: string[]): Promise<number> {
  const { positionals } = parseCommandArgs(args, {});
  if (positionals.length !== 1) throw new UsageError(`policy check takes one FILE\n\n${USAGE}`);
  try {
    const policy = await loadPolicyFile(positionals[0]!);
    const warnings = [...policy.warnings, ...identityWarnings(policy, await configIssuers(positionals[0]!))];
    for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`);
    const n = policy.rules.length;
    const builtin = policy.builtinDiscovery ? 'on' : 'off';
    const w = warnings.length;
    const warned = w === 0 ? '' : `; ${w} ${w === 1 ? 'warning' : 'warnings'} on stderr`;
    process.stdout.write(
      `ok: ${n} ${n === 1 ? 'rule' : 'rules'} (default ${policy.default}, built-in discovery rule ${builtin})${warned}\n`,
    );
    for (const warning of proxyWarnings(policy)) process.stdout.write(`warning: ${warning}\n`);
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`error: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

/**
 * The `authentication.issuers` of a gateway config, for the identity warnings; none for a policy
 * file (it names no issuers) or a file that is not YAML (loadPolicyFile has said so already).
 */
async function configIssuers(file: string): Promise<unknown[]> {
  try {
    const doc = parse(await readFile(file, 'utf8')) as { authentication?: { issuers?: unknown } } | null;
    const issuers = doc?.authentication?.issuers;
    return Array.isArray(issuers) ? issuers : [];
  } catch {
    return [];
  }
}

/** Splits `[https://host][/clusters/<name>]/path[?query]` into cluster, raw path and raw query. */
export function splitTarget(target: string): { cluster?: string; path: string; query: string } {
  const withoutOrigin = target.replace(/^https?:\/\/[^/?#]*/, '');
  const q = withoutOrigin.indexOf('?');
  let path = q === -1 ? withoutOrigin : withoutOrigin.slice(0, q);
  const query = q === -1 ? '' : withoutOrigin.slice(q + 1);
  const prefixed = /^\/clusters\/([^/]+)(\/.*)?$/.exec(path);
  if (!prefixed) return { path, query };
  path = prefixed[2] ?? '/';
  return { cluster: prefixed[1]!, path, query };
}

async function explain(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    policy: { type: 'string' },
    subject: { type: 'string' },
    groups: { type: 'string' },
    cluster: { type: 'string' },
    output: { type: 'string', short: 'o' },
  });
  if (!values.policy) throw new UsageError(`policy explain needs --policy FILE\n\n${USAGE}`);
  if (!values.subject) throw new UsageError(`policy explain needs --subject S\n\n${USAGE}`);
  if (positionals.length !== 2) throw new UsageError(`policy explain takes METHOD PATH\n\n${USAGE}`);
  const output = values.output ?? 'text';
  if (output !== 'text' && output !== 'json') throw new UsageError('--output must be text or json');
  const [method, target] = positionals as [string, string];
  const split = splitTarget(target);
  if (split.cluster && values.cluster && split.cluster !== values.cluster) {
    throw new UsageError(
      `--cluster ${values.cluster} contradicts the path's /clusters/${split.cluster} prefix`,
    );
  }
  const cluster = split.cluster ?? values.cluster ?? '';
  const groups = (values.groups ?? '')
    .split(',')
    .map((g) => g.trim())
    .filter((g) => g !== '');
  const caller: Caller = { issuer: '(policy explain)', subject: values.subject, groups, claims: {} };

  let policy: Awaited<ReturnType<typeof loadPolicyFile>>;
  try {
    policy = await loadPolicyFile(values.policy);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`error: ${error.message}\n`);
    return EXPLAIN_EXIT.config;
  }
  const request = {
    method: method.toUpperCase(),
    path: split.path,
    query: split.query,
    cluster,
    subject: caller.subject,
    groups,
  };
  let info: RequestInfo;
  try {
    info = classifyRequest(request.method, split.path, split.query);
  } catch (error) {
    if (!(error instanceof StatusError)) throw error;
    const refused = { code: error.code, reason: error.reason, message: error.message };
    if (output === 'json') process.stdout.write(`${JSON.stringify({ request, refused }, null, 2)}\n`);
    else process.stdout.write(formatRefusal(request, refused));
    return EXPLAIN_EXIT.deny;
  }
  const decision = evaluate(policy, { caller, cluster, info });
  if (output === 'json') process.stdout.write(`${JSON.stringify({ request, info, decision }, null, 2)}\n`);
  else process.stdout.write(formatExplanation(request, info, decision));
  return EXPLAIN_EXIT[decision.action];
}

type ExplainedRequest = {
  method: string;
  path: string;
  query: string;
  cluster: string;
  subject: string;
  groups: string[];
};

function header(r: ExplainedRequest): string[] {
  return [
    `request:     ${r.method} ${r.path}${r.query ? `?${r.query}` : ''}`,
    `cluster:     ${r.cluster || '(none given)'}`,
    `caller:      ${r.subject}${r.groups.length ? ` (groups: ${r.groups.join(', ')})` : ' (no groups)'}`,
  ];
}

function formatRefusal(
  r: ExplainedRequest,
  refused: { code: number; reason: string; message: string },
): string {
  const lines = [
    ...header(r),
    `decision:    refused before the policy: ${refused.code} ${refused.reason}`,
    `message:     ${refused.message}`,
  ];
  return `${lines.join('\n')}\n`;
}

function formatExplanation(r: ExplainedRequest, info: RequestInfo, decision: Decision): string {
  const lines = header(r);
  lines.push(`verb:        ${info.verb}`);
  if (info.isResourceRequest) {
    const resource = info.subresource ? `${info.resource}/${info.subresource}` : info.resource;
    lines.push(
      `resource:    ${resource} (API group ${JSON.stringify(info.apiGroup)}, version ${info.apiVersion})`,
    );
    lines.push(`namespace:   ${info.namespace || '(none: cluster-scoped or all namespaces)'}`);
    lines.push(`name:        ${info.name || '(none)'}`);
  } else {
    lines.push(`resource:    (non-resource URL ${info.path})`);
  }
  const by =
    decision.rule === 'default' ? "the policy's default (no rule matched)" : `rule "${decision.rule}"`;
  lines.push(`decision:    ${decision.action.toUpperCase()} by ${by}`);
  if (decision.message) lines.push(`message:     ${decision.message}`);
  if (decision.matched.length === 0) lines.push('matched:     (no rule)');
  else {
    lines.push('matched:');
    const width = Math.max(...decision.matched.map((m) => m.name.length));
    for (const m of decision.matched) lines.push(`  ${m.name.padEnd(width)}  ${m.action}`);
  }
  return `${lines.join('\n')}\n`;
}
