/**
 * Top self-time functions of a V8 CPU profile (`node --cpu-prof`), aggregated by function and
 * location. `npm run bench -- --profile` prints this for each gateway; run alone as
 * `node bench/profile-top.ts <file.cpuprofile> [n]`.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export function topSelfTime(file: string, n = 25): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const byFunction = new Map<string, number>();
  const root = new URL('..', import.meta.url).pathname;
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const where = url.startsWith('file://') ? relative(root, new URL(url).pathname) : url;
    const key = `${functionName || '(anonymous)'}  ${where ? `${where}:${lineNumber + 1}` : ''}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
  }
  const rows = [...byFunction.entries()].sort((a, b) => b[1] - a[1]).slice(0, n);
  return rows
    .map(
      ([key, us]) =>
        `  ${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${key}`,
    )
    .join('\n');
}

if (import.meta.main) {
  const [file, n] = process.argv.slice(2);
  if (!file) throw new Error('usage: node bench/profile-top.ts <file.cpuprofile> [n]');
  process.stdout.write(`${topSelfTime(file, Number(n ?? 25))}\n`);
}
