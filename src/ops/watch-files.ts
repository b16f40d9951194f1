import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname } from 'node:path';

/**
 * Calls `onChange` once, `debounceMs` after the last change to any of `files`. Watches the files'
 * directories rather than the files: editors replace a file by renaming a new one over it, and
 * Kubernetes updates a mounted ConfigMap or Secret by swapping a `..data` symlink, and a watch on
 * the old file would see neither. Any change in a watched directory that names one of the files
 * (or the `..data` link) counts. Returns a function that stops watching.
 */
export function watchFiles(files: string[], onChange: () => void, debounceMs = 500): () => void {
  const byDir = new Map<string, Set<string>>();
  for (const file of files) {
    const names = byDir.get(dirname(file)) ?? new Set<string>();
    names.add(basename(file));
    byDir.set(dirname(file), names);
  }
  let timer: NodeJS.Timeout | undefined;
  const changed = (): void => {
    clearTimeout(timer);
    timer = setTimeout(onChange, debounceMs);
    timer.unref();
  };
  const watchers: FSWatcher[] = [];
  for (const [dir, names] of byDir) {
    try {
      const watcher = watch(dir, { persistent: false }, (_event, name) => {
        if (name === null || names.has(name) || name === '..data') changed();
      });
      watcher.on('error', () => undefined);
      watchers.push(watcher);
    } catch {
      // A directory that cannot be watched still reloads on SIGHUP.
    }
  }
  return () => {
    clearTimeout(timer);
    for (const watcher of watchers) watcher.close();
  };
}
