import { z } from 'zod';
import type { ChatSchema } from '../chat/chat-provider.js';
import { namesIn, pickFor } from '../verification/mock-text.js';

/** Most topics kept from one answer. */
export const MAX_TOPICS = 5;

const MOCK_TOPICS = [
  'Política',
  'Saúde',
  'Economia',
  'Educação',
  'Meio ambiente',
  'Segurança pública',
];

/** What the model answers for `defining_topics`. */
export const TOPICS_ANSWER: ChatSchema<{ topics: { name: string }[] }> = {
  name: 'defining_topics',
  schema: z.object({
    topics: z
      .array(z.object({ name: z.string() }))
      .min(1)
      .max(MAX_TOPICS),
  }),
  // One general topic picked by the text, and the text's first name-like phrase.
  mockAnswer: (text) => ({
    topics: [pickFor(text, MOCK_TOPICS), ...namesIn(text, 1)].map((name) => ({
      name,
    })),
  }),
};
