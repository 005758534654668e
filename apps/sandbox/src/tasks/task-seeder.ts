import { Inject, Injectable } from '@nestjs/common';
import { SampleTexts } from './sample-texts.js';
import {
  ObjectIdGenerator,
  type NewTask,
  type WellFormedTask,
} from './task.js';
import { TasksService } from './tasks.service.js';

export interface SeedOptions {
  /** How many of the seeded tasks use the legacy shape (`text-embedding`, bare-string content). */
  legacy?: number;
  /** Model of every seeded task; `text-embedding-3-small` by default. */
  model?: string;
  dimensions?: number;
}

export interface SampleTaskOptions {
  text?: string;
  model?: string;
  dimensions?: number;
  legacy?: boolean;
}

/** Creates pending tasks shaped like the ones the real API holds. */
@Injectable()
export class TaskSeeder {
  private readonly texts = new SampleTexts(1);

  constructor(
    @Inject(TasksService) private readonly tasks: TasksService,
    @Inject(ObjectIdGenerator) private readonly ids: ObjectIdGenerator,
  ) {}

  /** `count` pending tasks; the legacy ones are spread evenly among them. */
  seed(count: number, options: SeedOptions = {}): WellFormedTask[] {
    const legacy = Math.min(options.legacy ?? 0, count);
    return Array.from({ length: count }, (_, i) =>
      this.tasks.create(
        this.sample({
          ...options,
          legacy:
            Math.floor(((i + 1) * legacy) / count) >
            Math.floor((i * legacy) / count),
        }),
      ),
    );
  }

  /** A task body as a client of the API would POST it. */
  sample(options: SampleTaskOptions = {}): NewTask {
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
      type: 'text_embedding',
      content: {
        text,
        model: options.model ?? 'text-embedding-3-small',
        ...(options.dimensions ? { dimensions: options.dimensions } : {}),
      },
      callbackRoute: 'verification_update_embedding',
      callbackParams: { targetId: related, field: 'embedding' },
    };
  }
}
