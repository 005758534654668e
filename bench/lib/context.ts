/** What every case gets from the runner. */
export interface BenchContext {
  quick: boolean;
  clockTick: number;
  /** Set with --profile: the service runs with --cpu-prof into this directory. */
  profileDir?: string;
  log: (message: string) => void;
}

/** Node flags for the service: a CPU profile when asked for. */
export function profileArgs(context: BenchContext, name: string): string[] {
  return context.profileDir
    ? [
        '--cpu-prof',
        '--cpu-prof-dir',
        context.profileDir,
        '--cpu-prof-name',
        `${name}.cpuprofile`,
      ]
    : [];
}
