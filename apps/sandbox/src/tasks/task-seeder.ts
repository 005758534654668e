import { Inject, Injectable } from '@nestjs/common';
import { SampleTexts } from './sample-texts.js';
import {
  ObjectIdGenerator,
  type NewTask,
  type VerificationContent,
  type WellFormedTask,
} from './task.js';
import {
  callbackRouteOf,
  EMBEDDING_TYPE,
  isVerificationType,
  type SeedableType,
  type VerificationType,
} from './task-types.js';
import { TasksService } from './tasks.service.js';
import { VerificationTexts } from './verification-texts.js';

export interface SeedOptions {
  /** How many of the seeded text-embedding tasks use the legacy shape (`text-embedding`, bare-string content). */
  legacy?: number;
  /** Model of every seeded text-embedding task; `text-embedding-3-small` by default. */
  model?: string;
  dimensions?: number;
  /**
   * The types seeded, in turn: task i has `types[i % types.length]`.
   * `['text_embedding']` by default.
   */
  types?: readonly SeedableType[];
  /** `content.model` of seeded verification tasks; none by default (the service's default model). */
  chatModel?: string;
}

export interface SampleTaskOptions {
  text?: string;
  model?: string;
  dimensions?: number;
  legacy?: boolean;
  /** A verification type gets a verification task; anything else a text embedding. */
  type?: string;
  chatModel?: string;
}

/** The field of the verification each type fills, for its callback parameters. */
const RESULT_FIELDS: Record<VerificationType, string> = {
  identifying_data: 'personalities',
  defining_topics: 'topics',
  defining_impact_area: 'impactArea',
  defining_severity: 'severity',
};

/** Creates pending tasks shaped like the ones the real API holds. */
@Injectable()
export class TaskSeeder {
  private readonly texts = new SampleTexts(1);
  private readonly claims = new VerificationTexts(1);

  constructor(
    @Inject(TasksService) private readonly tasks: TasksService,
    @Inject(ObjectIdGenerator) private readonly ids: ObjectIdGenerator,
  ) {}

  /** `count` pending tasks of `types` in turn; the legacy ones are spread evenly among the text embeddings. */
  seed(count: number, options: SeedOptions = {}): WellFormedTask[] {
    const { types = [EMBEDDING_TYPE], legacy: _legacy, ...rest } = options;
    const typeOf = (i: number) => types[i % types.length];
    const embeddings = Array.from({ length: count }, (_, i) => i).filter(
      (i) => typeOf(i) === EMBEDDING_TYPE,
    ).length;
    const legacy = Math.min(options.legacy ?? 0, embeddings);
    let embedding = 0;
    return Array.from({ length: count }, (_, i) => {
      const type = typeOf(i);
      const k = type === EMBEDDING_TYPE ? embedding++ : -1;
      return this.tasks.create(
        this.sample({
          ...rest,
          type,
          legacy:
            k >= 0 &&
            Math.floor(((k + 1) * legacy) / embeddings) >
              Math.floor((k * legacy) / embeddings),
        }),
      );
    });
  }

  /** A task body as a client of the API would POST it. */
  sample(options: SampleTaskOptions = {}): NewTask {
    if (isVerificationType(options.type))
      return this.verification(options.type, options);
    const text = options.text ?? this.texts.next();
    const related = this.ids.next(Date.now());
    if (options.legacy)
      return {
        type: 'text-embedding',
        content: text,
        callbackRoute: 'verification.updateEmbedding',
        callbackParams: { documentId: related },
      };
    return {
      type: EMBEDDING_TYPE,
      content: {
        text,
        model: options.model ?? 'text-embedding-3-small',
        ...(options.dimensions ? { dimensions: options.dimensions } : {}),
      },
      callbackRoute: 'verification_update_embedding',
      callbackParams: { targetId: related, field: 'embedding' },
    };
  }

  /**
   * A verification task on a seeded claim; `defining_severity` carries what
   * the earlier steps would have found in it (its area, topics and people,
   * with their items).
   */
  private verification(
    type: VerificationType,
    options: SampleTaskOptions,
  ): NewTask {
    const sample = this.claims.next();
    const content: VerificationContent = {
      text: options.text ?? sample.text,
      ...(options.chatModel ? { model: options.chatModel } : {}),
    };
    if (type === 'defining_severity')
      Object.assign(content, {
        impactArea: {
          name: sample.area.labels.pt,
          language: 'pt',
          wikidataId: sample.area.id,
        },
        topics: sample.topics.map((topic) => ({
          name: topic.labels.pt,
          language: 'pt',
          wikidataId: topic.id,
        })),
        personalities: sample.people.map((person) => ({
          name: person.labels.pt,
          wikidataId: person.id,
        })),
      });
    return {
      type,
      content,
      callbackRoute: callbackRouteOf(type),
      callbackParams: {
        targetId: this.ids.next(Date.now()),
        field: RESULT_FIELDS[type],
      },
    };
  }
}
