import { Injectable } from '@nestjs/common';

/**
 * The batcher's only clock: how it waits for company before sending a
 * batch. Injected so tests decide when a wait is over.
 */
export abstract class BatchTimer {
  /** Runs `callback` once after `delayMs`; the answer cancels it. */
  abstract schedule(delayMs: number, callback: () => void): () => void;
}

@Injectable()
export class SystemBatchTimer extends BatchTimer {
  schedule(delayMs: number, callback: () => void): () => void {
    const handle = setTimeout(callback, delayMs);
    return () => clearTimeout(handle);
  }
}
