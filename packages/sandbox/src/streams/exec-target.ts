/**
 * Reads an exec or attach request (query parameters plus the stored Pod) into what the session
 * needs, refusing with the same `Status` errors kube-apiserver gives before any upgrade happens.
 *
 * Validation runs before the transport is looked at, so a bad request fails the same way over
 * WebSocket and over SPDY. That matters because kubectl ≥ 1.30 retries a failed WebSocket exec
 * over SPDY: the second answer is the one the user sees, and it must name the real problem.
 *
 * Query (`pkg/apis/core/types.go` PodExecOptions / PodAttachOptions): `command` (repeated, exec
 * only), `container`, `stdin`, `stdout`, `stderr`, `tty`; booleans as Go's strconv.ParseBool.
 */
import { StatusError } from '../../../../src/errors.ts';

export interface ExecTarget {
  kind: 'exec' | 'attach';
  namespace: string;
  pod: string;
  container: string;
  /** The command line for exec; empty for attach. */
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
  /**
   * The container's environment: `HOSTNAME` (the pod name), then its `env` in order — literal
   * values, and `secretKeyRef`/`configMapKeyRef` values resolved as a kubelet would (a reference
   * that does not resolve leaves the variable unset).
   */
  env: Map<string, string>;
}

/** Reads a key of a Secret (decoded) or ConfigMap in the pod's namespace; undefined if missing. */
export type EnvSourceLookup = (
  resource: 'secrets' | 'configmaps',
  name: string,
  key: string,
) => string | undefined;

interface ContainerSpec {
  name: string;
  env: Array<{ name: string; value: string }>;
}

/** Parses and validates; throws a {@link StatusError} the caller writes as the HTTP answer. */
export function parseExecTarget(
  kind: 'exec' | 'attach',
  namespace: string,
  pod: Record<string, unknown>,
  query: URLSearchParams,
  lookup: EnvSourceLookup = () => undefined,
): ExecTarget {
  const podName = stringAt(pod, 'metadata', 'name') ?? '';
  const phase = stringAt(pod, 'status', 'phase');
  if (phase === 'Succeeded' || phase === 'Failed') {
    throw badRequest(`cannot ${kind} into a container in a completed pod; current phase is ${phase}`);
  }

  const containers = containersOf(pod, lookup);
  const names = containers.map((c) => c.name);
  const requested = query.get('container') ?? '';
  let container: ContainerSpec | undefined;
  if (requested === '') {
    if (containers.length !== 1) {
      throw badRequest(
        `a container name must be specified for pod ${podName}, choose one of: [${names.join(' ')}]`,
      );
    }
    container = containers[0];
  } else {
    container = containers.find((c) => c.name === requested);
    if (!container) throw badRequest(`container ${requested} is not valid for pod ${podName}`);
  }
  if (!container) throw badRequest(`pod ${podName} has no containers`);

  const command = kind === 'exec' ? query.getAll('command') : [];
  if (kind === 'exec' && command.length === 0) {
    throw badRequest('you must specify at least 1 command');
  }
  const stdin = flag(query, 'stdin');
  const stdout = flag(query, 'stdout');
  const tty = flag(query, 'tty');
  // With a TTY the terminal merges stderr into stdout; kube-apiserver ignores stderr then.
  const stderr = flag(query, 'stderr') && !tty;
  if (!stdin && !stdout && !stderr) {
    throw badRequest('you must specify at least 1 of stdin, stdout, stderr');
  }

  const env = new Map<string, string>([['HOSTNAME', podName]]);
  for (const variable of container.env) env.set(variable.name, variable.value);
  return {
    kind,
    namespace,
    pod: podName,
    container: container.name,
    command,
    stdin,
    stdout,
    stderr,
    tty,
    env,
  };
}

function badRequest(message: string): StatusError {
  return new StatusError(400, 'BadRequest', message);
}

/** Go's strconv.ParseBool truth values; anything else is false. */
function flag(query: URLSearchParams, name: string): boolean {
  return ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(query.get(name) ?? '');
}

function containersOf(pod: Record<string, unknown>, lookup: EnvSourceLookup): ContainerSpec[] {
  const spec = recordAt(pod, 'spec');
  const list = spec?.['containers'];
  if (!Array.isArray(list)) return [];
  const containers: ContainerSpec[] = [];
  for (const item of list as unknown[]) {
    if (!isRecord(item) || typeof item['name'] !== 'string') continue;
    const env: ContainerSpec['env'] = [];
    const rawEnv = item['env'];
    for (const variable of Array.isArray(rawEnv) ? (rawEnv as unknown[]) : []) {
      if (!isRecord(variable) || typeof variable['name'] !== 'string') continue;
      const value = typeof variable['value'] === 'string' ? variable['value'] : resolveFrom(variable, lookup);
      if (value !== undefined) env.push({ name: variable['name'], value });
    }
    containers.push({ name: item['name'], env });
  }
  return containers;
}

/** A `valueFrom` secretKeyRef or configMapKeyRef, resolved; field and resource refs are not. */
function resolveFrom(variable: Record<string, unknown>, lookup: EnvSourceLookup): string | undefined {
  const from = recordAt(variable, 'valueFrom');
  if (!from) return undefined;
  for (const [field, resource] of [
    ['secretKeyRef', 'secrets'],
    ['configMapKeyRef', 'configmaps'],
  ] as const) {
    const ref = recordAt(from, field);
    if (ref && typeof ref['name'] === 'string' && typeof ref['key'] === 'string')
      return lookup(resource, ref['name'], ref['key']);
  }
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function recordAt(value: Record<string, unknown>, key: string): Record<string, unknown> | undefined {
  const child = value[key];
  return isRecord(child) ? child : undefined;
}

function stringAt(value: Record<string, unknown>, key: string, field: string): string | undefined {
  const child = recordAt(value, key)?.[field];
  return typeof child === 'string' ? child : undefined;
}
