/**
 * Top self-time functions of a V8 CPU profile (`node --cpu-prof`), and top allocation sites of a
 * sampling heap profile (allocation-sampling.ts), aggregated by function and location.
 * `npm run bench -- --profile` / `--alloc-profile` print these for each gateway; run alone as
 * `node bench/profile-top.ts <file.cpuprofile|file.heapprofile> [n]`.
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

interface HeapNode {
  id: number;
  callFrame: ProfileNode['callFrame'];
  children?: HeapNode[];
}
interface HeapProfile {
  head: HeapNode;
  samples: Array<{ size: number; nodeId: number }>;
}

const ROOT = new URL('..', import.meta.url).pathname;

/** `function  file:line`, the file relative to the repository. */
function siteOf({ functionName, url, lineNumber }: ProfileNode['callFrame']): string {
  const where = url.startsWith('file://') ? relative(ROOT, new URL(url).pathname) : url;
  return `${functionName || '(anonymous)'}  ${where ? `${where}:${lineNumber + 1}` : ''}`;
}

/** Where the sampled bytes were allocated (self, not callees), as a share of all sampled bytes. */
export function topAllocations(file: string, n = 25): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as HeapProfile;
  const sites = new Map<number, string>();
  const visit = (node: HeapNode): void => {
    sites.set(node.id, siteOf(node.callFrame));
    for (const child of node.children ?? []) visit(child);
  };
  visit(profile.head);
  const bySite = new Map<string, number>();
  let total = 0;
  for (const { size, nodeId } of profile.samples) {
    total += size;
    const site = sites.get(nodeId) ?? '(unknown)';
    bySite.set(site, (bySite.get(site) ?? 0) + size);
  }
  return [...bySite.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(
      ([site, bytes]) =>
        `  ${((bytes / total) * 100).toFixed(1).padStart(5)}%  ${(bytes / 1e6).toFixed(1).padStart(7)} MB  ${site}`,
    )
    .join('\n');
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
  for (const [id, us] of self) {
    const key = siteOf(byId.get(id)!.callFrame);
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
  if (!file) throw new Error('usage: node bench/profile-top.ts <file.cpuprofile|file.heapprofile> [n]');
  const top = file.endsWith('.heapprofile') ? topAllocations : topSelfTime;
  process.stdout.write(`${top(file, Number(n ?? 25))}\n`);
}
