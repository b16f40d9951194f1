import { BUILTIN_RESOURCES, builtinGroupsOf, builtinPluralsFor } from './builtin-resources.ts';
import type { MatchDocument } from './schema.ts';

/**
 * Warnings for `resources:` entries that no cluster serves. A policy matches resources by their
 * plural, lowercase name, exactly as RBAC does, so `resources: [namespace]` is valid and matches
 * nothing: a review rule written that way is silently off. The policy stays valid (the entry is
 * well-formed, and a cluster may serve a custom resource by that name); `policy check` prints
 * these so the author sees the slip.
 *
 * Only what can be judged is judged, against the built-in table (builtin-resources.ts):
 * - the rule's `apiGroups` are all built-in groups: an entry must be a resource of one of them;
 * - otherwise (no `apiGroups`, `*`, a glob or a group the table does not know, so possibly a
 *   custom resource): an entry is flagged only when it is another spelling of a built-in
 *   resource (Kind, singular, short name, wrong case), since a custom resource's plural cannot
 *   be told from a typo.
 * Globs (`pods*`, `*`) and subresources are not judged; a flagged `pod/exec` suggests `pods/exec`.
 */

/** One warning: the index of the entry in `match.resources` and what to say about it. */
export interface ResourceWarning {
  index: number;
  message: string;
}

const GLOB = /[*?]/;

const groupName = (group: string): string => (group === '' ? 'the core group ""' : `"${group}"`);

function listGroups(groups: readonly string[]): string {
  return groups.map(groupName).join(', ');
}

/** The `resources` warnings for one rule's `match`. */
export function resourceWarnings(match: MatchDocument): ResourceWarning[] {
  if (!match.resources) return [];
  // The rule's groups when every one is a built-in group; null when a custom resource may match.
  const groups = match.apiGroups?.every((g) => !GLOB.test(g) && BUILTIN_RESOURCES.has(g))
    ? match.apiGroups
    : null;
  const warnings: ResourceWarning[] = [];
  match.resources.forEach((entry, index) => {
    const [resource = '', subresource] = entry.split('/');
    if (GLOB.test(resource)) return;
    const suffix = subresource === undefined ? '' : `/${subresource}`;
    const quoted = JSON.stringify(entry);
    const servedIn = builtinGroupsOf(resource);
    if (groups) {
      if (servedIn.some((g) => groups.includes(g))) return;
      const elsewhere = servedIn.length > 0 ? `; it is served in ${listGroups(servedIn)}` : '';
      const meant = suggestion(resource, suffix, groups);
      warnings.push({
        index,
        message:
          `${quoted} is not a resource of ${listGroups(groups)}${elsewhere}, so this entry matches nothing` +
          (meant ? `; did you mean ${meant}?` : ''),
      });
      return;
    }
    if (servedIn.length > 0) return;
    const meant = suggestion(resource, suffix, null);
    if (!meant) return;
    warnings.push({
      index,
      message:
        `${quoted} is not a resource any cluster serves as built-in: resources are matched by their ` +
        `plural, lowercase name, as RBAC does, so this entry matches nothing; did you mean ${meant}? ` +
        'A custom resource by that exact name would be matched.',
    });
  });
  return warnings;
}

/** The plural(s) `resource` is another spelling of, within `groups` when given, quoted. */
function suggestion(resource: string, suffix: string, groups: readonly string[] | null): string | undefined {
  const plurals = builtinPluralsFor(resource)
    .filter((ref) => groups === null || groups.includes(ref.group))
    .map((ref) => ref.resource);
  const unique = [...new Set(plurals)];
  if (unique.length === 0) return undefined;
  return unique.map((p) => JSON.stringify(`${p}${suffix}`)).join(' or ');
}
