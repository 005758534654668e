import { z } from 'zod';
import type { ChatSchema } from '../chat/chat-provider.js';
import { pickFor } from '../verification/mock-text.js';

/** The server's scale, most severe first (docs/contract.md §1a). */
export const SEVERITIES = [
  'critical',
  'high_3',
  'high_2',
  'high_1',
  'medium_3',
  'medium_2',
  'medium_1',
  'low_3',
  'low_2',
  'low_1',
] as const;

export type Severity = (typeof SEVERITIES)[number];

/** What the model answers for `defining_severity`: one step of the scale. */
export const SEVERITY_ANSWER: ChatSchema<{ severity: Severity }> = {
  name: 'defining_severity',
  schema: z.object({ severity: z.enum(SEVERITIES) }),
  mockAnswer: (text) => ({ severity: pickFor(text, SEVERITIES) }),
};
