import type { Prompt } from '../verification/prompt.js';

/**
 * The topics of a text under fact-checking. The server files them under
 * Portuguese names and matches them to Wikidata, so names must be the
 * common Portuguese noun a reader would search for.
 */
export const DEFINING_TOPICS_PROMPT: Prompt = {
  version: 'defining_topics/1',
  system: [
    'You classify texts submitted to a Brazilian fact-checking organisation.',
    'List the main topics the text is about: between 1 and 5, most central first.',
    'Each topic is a short general subject in Portuguese (Brazil), one to three words,',
    'as an encyclopedia would title it (for example "Saúde pública", "Vacina", "Inflação",',
    '"Eleição", "Meio ambiente"), not a sentence and not a person\'s name.',
    'Do not invent topics the text does not discuss.',
    'Answer only in the JSON format requested.',
  ].join(' '),
};
