/** The task types of docs/contract.md §1 and §1a. */

export const EMBEDDING_TYPE = 'text_embedding';

/** The fact-checking server's verification types (§1a): a chat model, then Wikidata. */
export const VERIFICATION_TYPES = [
  'identifying_data',
  'defining_topics',
  'defining_impact_area',
  'defining_severity',
] as const;
export type VerificationType = (typeof VERIFICATION_TYPES)[number];

/** What the seeder can create. */
export const SEEDABLE_TYPES = [EMBEDDING_TYPE, ...VERIFICATION_TYPES] as const;
export type SeedableType = (typeof SEEDABLE_TYPES)[number];

export function isVerificationType(value: unknown): value is VerificationType {
  return (VERIFICATION_TYPES as readonly unknown[]).includes(value);
}

/** Where the real server hands a verification result: `verification_update_<type>`. */
export const callbackRouteOf = (type: VerificationType) =>
  `verification_update_${type}`;
