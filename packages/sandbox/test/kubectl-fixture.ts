/**
 * One seeded sandbox per describe block, reporting kubectl `version` as its own, with a temp
 * kubeconfig (and kubectl cache) for it: the fixture the per-version kubectl suites share.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import {
  type KubectlResult,
  runKubectl,
  type TempKubeconfig,
  writeTempKubeconfig,
} from '../../../test/support/kubectl.ts';
import { type Sandbox, startSandbox } from '../src/server.ts';

export interface KubectlFixture {
  readonly sandbox: Sandbox;
  readonly kubeconfig: string;
  /** Runs kubectl `version` with the fixture's kubeconfig. */
  kubectl(args: string[], stdin?: string): Promise<KubectlResult>;
  /** Runs kubectl and expects exit 0 with nothing on stderr; resolves its stdout. */
  ok(args: string[], stdin?: string): Promise<string>;
}

/** Registers beforeAll/afterAll hooks in the calling describe block. */
export function useKubectlSandbox(version: string): KubectlFixture {
  let sandbox: Sandbox | undefined;
  let config: TempKubeconfig | undefined;
  beforeAll(async () => {
    sandbox = await startSandbox({ seed: true, kubeVersion: version, logFollowIntervalMs: 100 });
    config = await writeTempKubeconfig(sandbox.kubeconfig(), `kubectl-${version}-`);
  });
  afterAll(async () => {
    await sandbox?.close();
    await config?.cleanup();
  });
  const fixture: KubectlFixture = {
    get sandbox(): Sandbox {
      if (!sandbox) throw new Error('sandbox not started');
      return sandbox;
    },
    get kubeconfig(): string {
      if (!config) throw new Error('kubeconfig not written');
      return config.path;
    },
    kubectl: (args, stdin) =>
      runKubectl({
        kubeconfig: fixture.kubeconfig,
        version,
        args,
        ...(stdin === undefined ? {} : { stdin }),
      }),
    ok: async (args, stdin) => {
      const result = await fixture.kubectl(args, stdin);
      expect(result.stderr, `kubectl ${args.join(' ')}`).toBe('');
      expect(result.code, `kubectl ${args.join(' ')}: ${result.stderr}`).toBe(0);
      return result.stdout;
    },
  };
  return fixture;
}
