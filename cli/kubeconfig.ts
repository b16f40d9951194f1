import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { renderKubeconfig } from '../src/kubeconfig/render.ts';
import { parseCommandArgs, UsageError } from './args.ts';
import {
  EXEC_CREDENTIAL_API_VERSION,
  HOOP_GATEWAY_BIN,
  type KubeconfigExec,
} from './credentials/exec-credential.ts';
import { ciTokenSource } from './token.ts';

/**
 * `hoop-gateway kubeconfig`: the kubeconfig a CI job (or a pod) needs to reach one cluster through
 * the gateway with its own identity token. Its user is an exec credential plugin running
 * `hoop-gateway token --from …` with this Node binary, so kubectl fetches (GitHub) or re-reads
 * (file, variable) the token whenever the last one expired; nothing secret is written into the
 * file. `--ca FILE` is the gateway's CA when its certificate is not publicly trusted.
 *
 * Written to `--output FILE` (mode 0600) or stdout. Mistakes are usage errors: one line, exit 2.
 */

const USAGE = `usage: hoop-gateway kubeconfig --gateway URL --cluster NAME
         (--from github-actions --audience AUD | --from-file PATH | --from-env NAME)
         [--ca FILE] [--namespace NS] [--output FILE]
`;

export async function run(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(
    args,
    {
      gateway: { type: 'string' },
      cluster: { type: 'string' },
      from: { type: 'string' },
      'from-file': { type: 'string' },
      'from-env': { type: 'string' },
      audience: { type: 'string' },
      ca: { type: 'string' },
      namespace: { type: 'string' },
      output: { type: 'string', short: 'o' },
      help: { type: 'boolean', short: 'h' },
    },
    false,
  );
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const gateway = gatewayUrl(values.gateway);
  const cluster = values.cluster;
  if (!cluster || !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(cluster)) {
    throw new UsageError(`--cluster NAME is required: the gateway's cluster name (a DNS label)\n\n${USAGE}`);
  }
  const source = ciTokenSource(values);
  if (!source) throw new UsageError(`say where the job's token comes from\n\n${USAGE}`);
  const tokenArgs =
    source.kind === 'github-actions'
      ? ['--from', 'github-actions', '--audience', source.audience]
      : source.kind === 'file'
        ? ['--from-file', resolve(source.path)]
        : ['--from-env', source.name];
  const exec: KubeconfigExec = {
    apiVersion: EXEC_CREDENTIAL_API_VERSION,
    command: process.execPath,
    args: [HOOP_GATEWAY_BIN, 'token', ...tokenArgs],
    interactiveMode: 'Never',
    provideClusterInfo: false,
  };
  const caPem = values.ca ? await readCa(values.ca) : '';
  const text = renderKubeconfig({
    server: `${gateway}/clusters/${cluster}`,
    caPem,
    user: { exec },
    name: cluster,
    ...(values.namespace ? { namespace: values.namespace } : {}),
  });
  if (values.output) await writeFile(values.output, text, { mode: 0o600 });
  else process.stdout.write(text);
  return 0;
}

function gatewayUrl(value: string | undefined): string {
  if (!value) throw new UsageError(`--gateway URL is required: https://<gateway host>\n\n${USAGE}`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--gateway ${JSON.stringify(value)} is not a URL; write https://<gateway host>`);
  }
  if (url.protocol !== 'https:') throw new UsageError(`--gateway must be an https URL (got ${url.protocol})`);
  if (url.search || url.hash) throw new UsageError('--gateway must not carry a query or fragment');
  return url.href.replace(/\/+$/, '');
}

async function readCa(file: string): Promise<string> {
  let pem: string;
  try {
    pem = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(
      `cannot read the CA file ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`,
    );
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new UsageError(`the CA file ${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  }
  return pem;
}
