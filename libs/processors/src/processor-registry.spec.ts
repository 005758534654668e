import { Inject, Injectable, Module, Scope } from '@nestjs/common';
import {
  FAILURE_CODE,
  TASK_PROCESSORS,
  TaskProcessor,
  TaskProcessorHost,
  UNEXPECTED_ERROR_ATTEMPTS,
  type ProcessableTask,
  type ProcessingResult,
  type TaskProcessorMap,
} from '@app/processors';
import { logged, startProcessors } from './testing/index.js';

// --- An extension module, as docs/extending.md has one written. ---

/** A collaborator, injected as any provider is. */
@Injectable()
class WordCounter {
  count(text: string): number {
    return text.split(/\s+/).filter(Boolean).length;
  }
}

@TaskProcessor('word_count', 'word-count')
class WordCountProcessor extends TaskProcessorHost {
  constructor(private readonly counter: WordCounter) {
    super();
  }

  override process(task: ProcessableTask): Promise<ProcessingResult> {
    if (typeof task.content !== 'string') {
      return Promise.resolve({
        kind: 'failed',
        code: 'invalid_content',
        message: 'content must be a string',
      });
    }
    return Promise.resolve({
      kind: 'succeeded',
      result: [this.counter.count(task.content)],
    });
  }
}

@Module({ providers: [WordCounter, WordCountProcessor] })
class WordCountModule {}

// --- Misbehaving processors. ---

@TaskProcessor('buggy')
class BuggyProcessor extends TaskProcessorHost {
  override process(): Promise<ProcessingResult> {
    return Promise.reject(
      new TypeError("Cannot read properties of undefined (reading 'x')"),
    );
  }
}

class UpstreamDown extends Error {
  readonly transient = true;
}

@TaskProcessor('flaky_upstream')
class FlakyUpstreamProcessor extends TaskProcessorHost {
  override process(): Promise<ProcessingResult> {
    return Promise.reject(new UpstreamDown('upstream answered 503'));
  }
}

@Module({ providers: [BuggyProcessor, FlakyUpstreamProcessor] })
class MisbehavingModule {}

// --- Declarations start-up refuses. ---

@TaskProcessor('TEXT-EMBEDDING')
class SecondEmbeddingProcessor extends TaskProcessorHost {
  override process(): Promise<ProcessingResult> {
    return Promise.resolve({ kind: 'succeeded', result: [] });
  }
}

/** Has the method, not the base class: the compiler lets it through, start-up does not. */
@TaskProcessor('look_alike')
class LookAlikeProcessor {
  process(): Promise<ProcessingResult> {
    return Promise.resolve({ kind: 'succeeded', result: [] });
  }
}

// @ts-expect-error: as JavaScript, or a cast, could declare it.
class NoProcessProcessor extends TaskProcessorHost {}
TaskProcessor('no_process')(NoProcessProcessor);

@Injectable({ scope: Scope.REQUEST })
@TaskProcessor('per_request')
class RequestScopedProcessor extends TaskProcessorHost {
  override process(): Promise<ProcessingResult> {
    return Promise.resolve({ kind: 'succeeded', result: [] });
  }
}

@Injectable({ scope: Scope.TRANSIENT })
@TaskProcessor('per_injection')
class TransientProcessor extends TaskProcessorHost {
  override process(): Promise<ProcessingResult> {
    return Promise.resolve({ kind: 'succeeded', result: [] });
  }
}

@Injectable({ scope: Scope.REQUEST })
class RequestContext {}

/** Default scope, made request-scoped by what it injects. */
@TaskProcessor('per_request_too')
class ImplicitlyRequestScopedProcessor extends TaskProcessorHost {
  constructor(readonly context: RequestContext) {
    super();
  }

  override process(): Promise<ProcessingResult> {
    return Promise.resolve({ kind: 'succeeded', result: [] });
  }
}

const moduleOf = (...providers: NonNullable<Module['providers']>) => {
  @Module({ providers })
  class ExtensionModule {}
  return ExtensionModule;
};
type Module = Parameters<typeof Module>[0];

// --- A processor built late: after the TASK_PROCESSORS factory ran. ---

const SLOW_CONNECTION = Symbol('SLOW_CONNECTION');

@TaskProcessor('slow_start')
class SlowStartProcessor extends TaskProcessorHost {
  constructor(@Inject(SLOW_CONNECTION) private readonly connection: string) {
    super();
  }

  override process(): Promise<ProcessingResult> {
    return Promise.resolve({
      kind: 'succeeded',
      result: [this.connection.length],
    });
  }
}

@Module({
  providers: [
    {
      provide: SLOW_CONNECTION,
      // Like a client that connects before it is provided.
      useFactory: () =>
        new Promise<string>((resolve) => setTimeout(resolve, 50, 'open')),
    },
    SlowStartProcessor,
  ],
})
class SlowStartModule {}

describe('ProcessorRegistry', () => {
  it('routes to a processor that an imported module provides', async () => {
    const { app, registry, process, logs } = await startProcessors({
      imports: [WordCountModule],
    });
    expect(registry.taskTypes).toEqual(
      expect.arrayContaining(['text_embedding', 'word_count']),
    );
    await expect(process('two words', 'word_count')).resolves.toEqual({
      kind: 'succeeded',
      result: [2],
    });
    await expect(process(42, 'Word-Count')).resolves.toMatchObject({
      kind: 'failed',
      code: 'invalid_content',
    });
    // One line, sorted by type, under the registry's name as ever.
    const [, table] = logs
      .containing('task processors: ')
      .map((line) => /^log task processors: (.*) ProcessorRegistry$/.exec(line))
      .find(Boolean)!;
    const routes = table.split(', ');
    expect(routes).toEqual([...routes].sort());
    expect(routes).toEqual(
      expect.arrayContaining([
        'text_embedding -> TextEmbeddingProcessor',
        'word_count -> WordCountProcessor',
      ]),
    );
    await app.close();
  });

  it('gives TASK_PROCESSORS as a map of canonical type to processor', async () => {
    const { app } = await startProcessors({ imports: [WordCountModule] });
    const processors = app.get<TaskProcessorMap>(TASK_PROCESSORS);
    expect(processors.get('word_count')?.name).toBe('WordCountProcessor');
    expect(processors.get('word_count')?.instance).toBe(
      app.get(WordCountProcessor),
    );
    // Both spellings of the decorator are one entry.
    expect(processors.has('word-count')).toBe(false);
    expect(processors.get('text_embedding')?.name).toBe(
      'TextEmbeddingProcessor',
    );
    await app.close();
  });

  it('routes to a processor built after the map was made', async () => {
    const { app, process } = await startProcessors({
      imports: [SlowStartModule],
    });
    await expect(process(null, 'slow_start')).resolves.toEqual({
      kind: 'succeeded',
      result: [4],
    });
    await app.close();
  });

  it('treats text-embedding and text_embedding as the same type', async () => {
    const { app, process } = await startProcessors();
    const dashed = await process('same text', 'text-embedding');
    const underscored = await process('same text', 'text_embedding');
    expect(dashed.kind).toBe('succeeded');
    expect(dashed).toEqual(underscored);
    await app.close();
  });

  it('fails a task type nobody handles with unsupported_task_type', async () => {
    const { app, registry, process } = await startProcessors();
    expect(registry.taskTypes).toContain('text_embedding');
    await expect(process('x', 'image_caption')).resolves.toEqual({
      kind: 'failed',
      code: FAILURE_CODE.unsupportedTaskType,
      message: `no processor handles task type "image_caption" (this service handles: ${registry.taskTypes.join(', ')})`,
    });
    expect(registry.handles('IMAGE-CAPTION')).toBe(false);
    expect(registry.handles('TEXT-EMBEDDING')).toBe(true);
    await app.close();
  });

  it('releases a task whose processor throws, and fails it on the last attempt', async () => {
    const { app, process, logs } = await startProcessors({
      imports: [MisbehavingModule],
    });
    const outcomes: ProcessingResult[] = [];
    for (let attempt = 1; attempt <= UNEXPECTED_ERROR_ATTEMPTS; attempt++) {
      outcomes.push(await process({}, 'buggy', 'task-a'));
    }
    expect(outcomes.slice(0, -1)).toEqual(
      Array.from({ length: UNEXPECTED_ERROR_ATTEMPTS - 1 }, (_, i) => ({
        kind: 'transient',
        reason: `unexpected error, attempt ${i + 1} of ${UNEXPECTED_ERROR_ATTEMPTS}: TypeError: Cannot read properties of undefined (reading 'x')`,
      })),
    );
    expect(outcomes.at(-1)).toEqual({
      kind: 'failed',
      code: FAILURE_CODE.processorError,
      message: `processing failed unexpectedly ${UNEXPECTED_ERROR_ATTEMPTS} times; last error: TypeError: Cannot read properties of undefined (reading 'x')`,
    });
    // Strikes are per task: another task starts afresh.
    await expect(process({}, 'buggy', 'task-b')).resolves.toMatchObject({
      kind: 'transient',
    });
    const errors = logged(logs, 'error').join('\n');
    for (let attempt = 1; attempt <= UNEXPECTED_ERROR_ATTEMPTS; attempt++) {
      expect(errors).toContain(
        `BuggyProcessor threw on task task-a (attempt ${attempt} of ${UNEXPECTED_ERROR_ATTEMPTS})`,
      );
    }
    expect(errors).toContain("taskId: 'task-a'");
    await app.close();
  });

  it('never fails a task for an outage that escaped its processor', async () => {
    const { app, process, logs } = await startProcessors({
      imports: [MisbehavingModule],
    });
    for (let attempt = 0; attempt < UNEXPECTED_ERROR_ATTEMPTS + 2; attempt++) {
      await expect(process({}, 'flaky_upstream', 'task-c')).resolves.toEqual({
        kind: 'transient',
        reason: 'Error: upstream answered 503',
      });
    }
    expect(logged(logs, 'warn').join('\n')).toContain(
      'FlakyUpstreamProcessor threw on task task-c: Error: upstream answered 503 (released)',
    );
    await app.close();
  });

  it('refuses to start when two processors claim the same type', async () => {
    await expect(
      startProcessors({ imports: [moduleOf(SecondEmbeddingProcessor)] }),
    ).rejects.toThrow(
      'task type "text_embedding" is claimed by both SecondEmbeddingProcessor and TextEmbeddingProcessor',
    );
  });

  it.each([
    {
      target: LookAlikeProcessor,
      message:
        'LookAlikeProcessor is marked @TaskProcessor() but does not extend TaskProcessorHost',
    },
    {
      target: NoProcessProcessor,
      message:
        'NoProcessProcessor is marked @TaskProcessor() but has no process(task) method',
    },
  ])(
    'refuses to start with $target.name, marked but not a processor',
    async ({ target, message }) => {
      await expect(
        startProcessors({ imports: [moduleOf(target)] }),
      ).rejects.toThrow(message);
    },
  );

  it.each([
    { target: RequestScopedProcessor, also: [] },
    { target: TransientProcessor, also: [] },
    { target: ImplicitlyRequestScopedProcessor, also: [RequestContext] },
  ])(
    'refuses to start with $target.name, which is not a singleton',
    async ({ target, also }) => {
      await expect(
        startProcessors({ imports: [moduleOf(target, ...also)] }),
      ).rejects.toThrow(
        `task processor ${target.name} must be a singleton (default scope), not request-scoped or transient`,
      );
    },
  );
});
