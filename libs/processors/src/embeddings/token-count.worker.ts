// Runs in a worker thread (TokenCountPool): counting the tokens of a long
// text can take seconds, and the event loop must not wait for it.
//
// The `.ts` extensions are deliberate: in tests Node loads this file itself
// (type stripping, no `.js` to `.ts` mapping); in the build rspack bundles
// it into a chunk of its own.
import { parentPort } from 'node:worker_threads';
import { clearMergeCache } from 'gpt-tokenizer/encoding/cl100k_base';
import { countTokensWithin } from './embedding-models.ts';
import type {
  TokenCountReply,
  TokenCountRequest,
} from './token-count-thread.ts';

parentPort?.on('message', ({ text, limit }: TokenCountRequest) => {
  const reply: TokenCountReply = { tokens: countTokensWithin(text, limit) };
  // The tokenizer remembers every piece it merged: across long texts that
  // would be megabytes kept for nothing.
  clearMergeCache();
  parentPort?.postMessage(reply);
});
