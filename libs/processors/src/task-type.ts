/**
 * Task types compare by this form: `text-embedding`, `TEXT_EMBEDDING` and
 * `text_embedding` are one type (older deployments spell it with a dash).
 */
export const canonicalTaskType = (type: string): string =>
  type.trim().toLowerCase().replaceAll('-', '_');
