/**
 * `hoop-gateway sandbox`: runs the in-memory sandbox Kubernetes API server (packages/sandbox/src/server.ts)
 * until SIGINT or SIGTERM, for trying the gateway (or plain kubectl) without a cluster. It prints
 * the URL and token, and writes a kubeconfig that trusts its CA when asked.
 */
import { writeFile } from 'node:fs/promises';
import { startSandbox } from '@hoop-gateway/sandbox/server';
import { parseCommandArgs, UsageError } from './args.ts';
import { untilSignal } from './serve.ts';

const HELP = `usage: hoop-gateway sandbox [--port P] [--host 127.0.0.1] [--kube-version 1.33] [--seed]
                            [--token T] [--kubeconfig-out FILE] [--http2]

Runs an in-memory Kubernetes API server (HTTPS, bearer token) that real kubectl can talk to.
--seed creates demo namespaces, workloads, config maps and secrets. --kube-version sets the
minor version /version reports (the /usr/bin/kubectl dispatcher picks its kubectl by it).
--http2 offers HTTP/2 beside HTTP/1.1, as kube-apiserver does.
`;

export async function run(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(
    args,
    {
      port: { type: 'string', short: 'p' },
      host: { type: 'string' },
      'kube-version': { type: 'string' },
      seed: { type: 'boolean' },
      token: { type: 'string' },
      'kubeconfig-out': { type: 'string' },
      http2: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    false,
  );
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be 0..65535, got "${values.port}"`);
  const kubeVersion = values['kube-version'];
  if (kubeVersion !== undefined && !/^1\.\d+$/.test(kubeVersion)) {
    throw new UsageError(`--kube-version must look like 1.31, got "${kubeVersion}"`);
  }
  const sandbox = await startSandbox({
    port,
    ...(values.host ? { host: values.host } : {}),
    ...(kubeVersion ? { kubeVersion } : {}),
    ...(values.token ? { token: values.token } : {}),
    seed: values.seed === true,
    http2: values.http2 === true,
  });
  process.stdout.write(`sandbox cluster listening on ${sandbox.url}\n`);
  const out = values['kubeconfig-out'];
  if (out) {
    await writeFile(out, sandbox.kubeconfig(), { mode: 0o600 });
    process.stdout.write(`kubeconfig written to ${out} (context "sandbox")\n`);
  } else {
    process.stdout.write(`token: ${sandbox.token}\n(use --kubeconfig-out FILE for a ready kubeconfig)\n`);
  }
  const signal = await untilSignal();
  process.stdout.write(`${signal}: stopping sandbox\n`);
  await sandbox.close();
  return 0;
}
