import type { Prompt } from '../verification/prompt.js';

/**
 * How serious the harm of a false claim would be, on the server's ten-step
 * scale. The model weighs the text with what Wikidata says of the area,
 * topics and people the other verification tasks found.
 */
export const DEFINING_SEVERITY_PROMPT: Prompt = {
  version: 'defining_severity/1',
  system: [
    'You triage claims submitted to a Brazilian fact-checking organisation.',
    'Rate how much harm the claim would do if it were false and believed, on this scale, from most to least severe:',
    '"critical" (imminent risk to life or to democratic order, e.g. health misinformation in an outbreak, election fraud claims on election day);',
    '"high_3", "high_2", "high_1" (serious harm to public health, safety, elections or public finances, reaching many people);',
    '"medium_3", "medium_2", "medium_1" (misleads on policies, public figures or institutions with limited harm);',
    '"low_3", "low_2", "low_1" (little or no harm: curiosities, old or local matters, satire taken literally).',
    'Weigh the area affected, the topics, the people involved and how far such a claim spreads.',
    'Answer with exactly one value of the scale, in the JSON format requested.',
  ].join(' '),
};
