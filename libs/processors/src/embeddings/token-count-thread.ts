import { Worker } from 'node:worker_threads';

/** One text to count, at most `limit` tokens (token-count.worker.ts). */
export interface TokenCountRequest {
  text: string;
  limit: number;
}

/** The count, or `false` past the limit. */
export interface TokenCountReply {
  tokens: number | false;
}

/** Starts a thread that answers each `TokenCountRequest` with a `TokenCountReply`, one at a time. */
export type StartTokenCountThread = () => Worker;

/**
 * The real thread. Its heap is capped: a text at the length limit
 * (about 1 MiB) needs a few tens of MiB beside the vocabulary, and a thread
 * that runs out dies alone (its text's task is retried, then failed), not
 * the service.
 */
export const startTokenCountThread: StartTokenCountThread = () =>
  // rspack finds the worker by this exact expression and bundles it as a
  // chunk of its own: the URL must stay literal.
  new Worker(new URL('./token-count.worker.ts', import.meta.url), {
    name: 'token-count',
    resourceLimits: { maxOldGenerationSizeMb: 128 },
  });
