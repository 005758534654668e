import type { Prompt } from '../verification/prompt.js';

/**
 * The one area of society a claim affects. The server keeps a single area
 * per verification request, in Portuguese, matched to Wikidata.
 */
export const DEFINING_IMPACT_AREA_PROMPT: Prompt = {
  version: 'defining_impact_area/1',
  system: [
    'You classify claims submitted to a Brazilian fact-checking organisation.',
    'Name the one area of society that the claim, if believed, would affect most:',
    'a broad field in Portuguese (Brazil), one to three words, as an encyclopedia would title it,',
    'for example "Saúde pública", "Economia", "Política", "Educação", "Segurança pública" or "Meio ambiente".',
    "Give exactly one area, never a list, a sentence or a person's name.",
    'Answer only in the JSON format requested.',
  ].join(' '),
};
