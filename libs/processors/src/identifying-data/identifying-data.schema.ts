import { z } from 'zod';
import type { ChatSchema } from '../chat/chat-provider.js';
import { around, namesIn } from '../verification/mock-text.js';

/** Most people kept from one answer. */
export const MAX_PERSONALITIES = 10;

export interface NamedPersonality {
  name: string;
  mentioned_as: string;
  confidence: number;
  context: string;
}

/** What the model answers for `identifying_data`, before Wikidata. */
export const PERSONALITIES_ANSWER: ChatSchema<{
  personalities: NamedPersonality[];
}> = {
  name: 'identifying_data',
  schema: z.object({
    personalities: z
      .array(
        z.object({
          name: z.string(),
          mentioned_as: z.string(),
          confidence: z.number().min(0).max(1),
          context: z.string(),
        }),
      )
      .max(MAX_PERSONALITIES),
  }),
  // The text's name-like phrases stand for the people it mentions.
  mockAnswer: (text) => ({
    personalities: namesIn(text, 3).map((name) => ({
      name,
      mentioned_as: name,
      confidence: 0.9,
      context: around(text, name),
    })),
  }),
};
