/** The most characters of a provider's or model's words that a message quotes. */
export const MAX_QUOTED_CHARACTERS = 200;

/**
 * `text` cut to `max` characters, with `…` when cut: what a provider or a
 * model says ends up in logs and task results, and nothing bounds its
 * length but us.
 */
export const boundedText = (
  text: string,
  max = MAX_QUOTED_CHARACTERS,
): string => (text.length > max ? `${text.slice(0, max)}…` : text);
