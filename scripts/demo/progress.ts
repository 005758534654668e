const BAR_WIDTH = 20;

export interface Progress {
  done: number;
  total: number;
  succeeded: number;
  failed: number;
  inFlight: number;
  /** Tasks per second since the first claim, once there is one. */
  rate?: number;
}

function text(progress: Progress, bar: boolean): string {
  const share = progress.total > 0 ? progress.done / progress.total : 1;
  const filled = Math.round(share * BAR_WIDTH);
  // Most telling first: a narrow terminal cuts the end of the line.
  return [
    bar
      ? `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] `
      : 'progress: ',
    `${progress.done}/${progress.total} done`,
    progress.rate === undefined ? '' : `, ${progress.rate.toFixed(1)} tasks/s`,
    ` (${progress.succeeded} succeeded, ${progress.failed} failed, ${progress.inFlight} in flight)`,
  ].join('');
}

/**
 * One steady progress line: rewritten in place on a terminal, printed as a
 * plain line every `everyMs` otherwise (a pipe, CI, a log file).
 */
export class ProgressLine {
  private readonly out: NodeJS.WriteStream;
  private readonly everyMs: number;
  private lastPrintedAt = 0;
  private showing = false;

  constructor(out: NodeJS.WriteStream, everyMs: number) {
    this.out = out;
    this.everyMs = everyMs;
  }

  private get tty(): boolean {
    return this.out.isTTY === true;
  }

  show(progress: Progress, force = false): void {
    if (this.tty) {
      const line = text(progress, true).slice(0, (this.out.columns || 80) - 1);
      this.out.write(`\r\x1b[2K${line}`);
      this.showing = true;
      return;
    }
    const now = Date.now();
    if (!force && now - this.lastPrintedAt < this.everyMs) return;
    this.lastPrintedAt = now;
    this.out.write(`${text(progress, false)}\n`);
  }

  /** Ends an in-place line, so that what follows starts on its own line. */
  end(): void {
    if (this.showing) this.out.write('\n');
    this.showing = false;
    this.lastPrintedAt = 0;
  }
}
