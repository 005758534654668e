import {
  IsArray,
  IsOptional,
  ValidateBy,
  type ValidationArguments,
} from 'class-validator';
import { VerificationContent } from '../verification/verification-content.js';

/** A topic, area or person as the three other verification tasks report it. */
export interface NamedEntry {
  name: string;
  language?: string;
  wikidataId?: string | null;
}

/** Most entries of one list read: more would only dilute the prompt. */
export const MAX_ENTRIES = 50;
const MAX_NAME_LENGTH = 500;

/** Why `entry` is not a NamedEntry, if it is not. */
function entryProblem(entry: unknown): string | undefined {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    return 'must be an object {name, wikidataId?}';
  }
  const { name, language, wikidataId } = entry as Record<string, unknown>;
  if (typeof name !== 'string' || name.trim() === '') {
    return 'must have a non-empty name';
  }
  if (name.length > MAX_NAME_LENGTH) {
    return `has a name longer than ${MAX_NAME_LENGTH} characters`;
  }
  if (language !== undefined && typeof language !== 'string') {
    return 'must have a string language';
  }
  if (
    wikidataId !== undefined &&
    wikidataId !== null &&
    typeof wikidataId !== 'string'
  ) {
    return 'must have a string (or null) wikidataId';
  }
  return undefined;
}

const listProblem = (value: unknown): string | undefined => {
  if (!Array.isArray(value)) return 'must be an array';
  if (value.length > MAX_ENTRIES) return `has more than ${MAX_ENTRIES} entries`;
  for (const [index, entry] of value.entries()) {
    const problem = entryProblem(entry);
    if (problem) return `[${index}] ${problem}`;
  }
  return undefined;
};

/** A rule whose message is the one problem found, naming the field. */
const checkedBy = (
  name: string,
  problem: (value: unknown) => string | undefined,
) =>
  ValidateBy({
    name,
    validator: {
      validate: (value) => problem(value) === undefined,
      defaultMessage: (args?: ValidationArguments) => {
        const found = problem(args?.value) ?? 'is invalid';
        const field = `content.${args?.property}`;
        return found.startsWith('[') ? `${field}${found}` : `${field} ${found}`;
      },
    },
  });

/** The content of `defining_severity` (docs/contract.md §1a). */
export class SeverityContent extends VerificationContent {
  @IsOptional()
  @checkedBy('namedEntry', entryProblem)
  impactArea?: NamedEntry;

  @IsArray({ message: 'content.topics must be an array' })
  @checkedBy('namedEntries', listProblem)
  topics: NamedEntry[];

  @IsArray({ message: 'content.personalities must be an array' })
  @checkedBy('namedEntries', listProblem)
  personalities: NamedEntry[];
}
