import type { ChatMessage } from '../chat/chat-provider.js';

/**
 * A prompt of a verification task type, versioned: a change of wording is a
 * new version, and each result's log line names the version it came from.
 */
export interface Prompt {
  /** `<type>/<n>`, e.g. `defining_topics/1`. */
  readonly version: string;
  readonly system: string;
}

/** The conversation for one task: the prompt's instructions, then the text. */
export const conversation = (
  prompt: Prompt,
  user: string,
): readonly ChatMessage[] => [
  { role: 'system', content: prompt.system },
  { role: 'user', content: user },
];
