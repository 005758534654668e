import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Debian's libfaketime (package `faketime`), whatever the architecture's folder. */
function libfaketime(): string {
  for (const folder of readdirSync('/usr/lib')) {
    const candidate = join('/usr/lib', folder, 'faketime/libfaketime.so.1');
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(
    'libfaketime is missing: apt-get install faketime (.ci/run installs it)',
  );
}

/**
 * The environment that starts a process's clock at `start` (UTC, e.g.
 * `2026-12-01 23:59:35`), from where it runs on at the normal pace: a
 * service whose day ends in a few seconds, without waiting for a real one.
 * Preloaded into the process itself, so signals reach it as usual.
 */
export function clockStartingAt(start: string): Record<string, string> {
  return {
    LD_PRELOAD: libfaketime(),
    FAKETIME: `@${start}`,
    TZ: 'UTC',
  };
}
