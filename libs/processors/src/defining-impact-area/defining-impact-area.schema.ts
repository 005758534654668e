import { z } from 'zod';
import type { ChatSchema } from '../chat/chat-provider.js';
import { pickFor } from '../verification/mock-text.js';

const MOCK_AREAS = [
  'Saúde pública',
  'Economia',
  'Política',
  'Educação',
  'Segurança pública',
  'Meio ambiente',
];

/** What the model answers for `defining_impact_area`: one area. */
export const IMPACT_AREA_ANSWER: ChatSchema<{ impactArea: { name: string } }> =
  {
    name: 'defining_impact_area',
    schema: z.object({ impactArea: z.object({ name: z.string() }) }),
    mockAnswer: (text) => ({
      impactArea: { name: pickFor(text, MOCK_AREAS) },
    }),
  };
