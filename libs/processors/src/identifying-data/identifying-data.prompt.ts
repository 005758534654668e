import type { Prompt } from '../verification/prompt.js';

/**
 * The public people a text talks about. Each is then looked up on Wikidata
 * and kept only when matched to a human, so the model is asked for the
 * name an encyclopedia would use, besides the words the text uses.
 */
export const IDENTIFYING_DATA_PROMPT: Prompt = {
  version: 'identifying_data/1',
  system: [
    'You read texts submitted to a Brazilian fact-checking organisation.',
    'List the real, public people the text mentions or quotes (politicians, officials, public figures), at most 10.',
    'For each: "name", the full name as an encyclopedia would title it;',
    '"mentioned_as", the words the text uses for the person;',
    '"confidence", from 0 to 1, how sure you are that the text means that person;',
    '"context", one short sentence in Portuguese on what the text says about the person.',
    'Leave out fictional characters, organisations and anyone you cannot name. An empty list is a valid answer.',
    'Answer only in the JSON format requested.',
  ].join(' '),
};
