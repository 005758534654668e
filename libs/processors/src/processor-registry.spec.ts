import { Injectable, Module } from '@nestjs/common';
import {
  FAILURE_CODE,
  RegisterTaskProcessor,
  UNEXPECTED_ERROR_ATTEMPTS,
  type ProcessableTask,
  type ProcessingResult,
  type TaskProcessor,
} from '@app/processors';
import { logged, startProcessors } from './processors.testing.js';

// --- An extension, written exactly as docs/extending.md shows it. ---

@Injectable()
class TextStatistics {
  /** [words, characters] */
  measure(text: string): number[] {
    const words = text.split(/\s+/).filter(Boolean).length;
    return [words, text.length];
  }
}

@Injectable()
@RegisterTaskProcessor()
class TextStatsProcessor implements TaskProcessor {
  readonly taskTypes = ['text_stats'];

  constructor(private readonly statistics: TextStatistics) {}

  process(task: ProcessableTask): Promise<ProcessingResult> {
    const { content } = task;
    if (typeof content !== 'string') {
      return Promise.resolve({
        status: 'failed',
        code: 'invalid_content',
        message: 'content must be a string',
      });
    }
    return Promise.resolve({
      status: 'succeeded',
      result: this.statistics.measure(content),
    });
  }
}

@Module({
  providers: [TextStatistics, TextStatsProcessor],
})
class TextStatsModule {}

// --- Misbehaving processors. ---

@Injectable()
@RegisterTaskProcessor()
class BuggyProcessor implements TaskProcessor {
  readonly taskTypes = ['buggy'];
  process(): Promise<ProcessingResult> {
    return Promise.reject(
      new TypeError("Cannot read properties of undefined (reading 'x')"),
    );
  }
}

class UpstreamDown extends Error {
  readonly transient = true;
}

@Injectable()
@RegisterTaskProcessor()
class FlakyUpstreamProcessor implements TaskProcessor {
  readonly taskTypes = ['flaky_upstream'];
  process(): Promise<ProcessingResult> {
    return Promise.reject(new UpstreamDown('upstream answered 503'));
  }
}

@Module({
  providers: [BuggyProcessor, FlakyUpstreamProcessor],
})
class MisbehavingModule {}

@Injectable()
@RegisterTaskProcessor()
class SecondEmbeddingProcessor implements TaskProcessor {
  readonly taskTypes = ['TEXT-EMBEDDING'];
  process(): Promise<ProcessingResult> {
    return Promise.resolve({ status: 'succeeded', result: [] });
  }
}

@Module({
  providers: [SecondEmbeddingProcessor],
})
class ClashingModule {}

describe('ProcessorRegistry', () => {
  it('routes to a processor that an imported module provides', async () => {
    const { app, registry, process, logs } = await startProcessors({
      imports: [TextStatsModule],
    });
    expect(registry.taskTypes.sort()).toEqual(['text_embedding', 'text_stats']);
    await expect(process('two words', 'text_stats')).resolves.toEqual({
      status: 'succeeded',
      result: [2, 9],
    });
    await expect(process(42, 'text-stats')).resolves.toMatchObject({
      status: 'failed',
      code: 'invalid_content',
    });
    expect(logged(logs, 'log').join('\n')).toContain(
      'task processors: text_embedding -> TextEmbeddingProcessor, text_stats -> TextStatsProcessor',
    );
    await app.close();
  });

  it('treats text-embedding and text_embedding as the same type', async () => {
    const { app, process } = await startProcessors();
    const dashed = await process('same text', 'text-embedding');
    const underscored = await process('same text', 'text_embedding');
    expect(dashed.status).toBe('succeeded');
    expect(dashed).toEqual(underscored);
    await app.close();
  });

  it('fails a task type nobody handles with unsupported_task_type', async () => {
    const { app, process } = await startProcessors();
    await expect(process('x', 'image_caption')).resolves.toEqual({
      status: 'failed',
      code: FAILURE_CODE.unsupportedTaskType,
      message:
        'no processor handles task type "image_caption" (this service handles: text_embedding)',
    });
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
    expect(outcomes.slice(0, -1).map((o) => o.status)).toEqual(
      Array(UNEXPECTED_ERROR_ATTEMPTS - 1).fill('transient'),
    );
    expect(outcomes.at(-1)).toEqual({
      status: 'failed',
      code: FAILURE_CODE.processorError,
      message: `processing failed unexpectedly ${UNEXPECTED_ERROR_ATTEMPTS} times; last error: TypeError: Cannot read properties of undefined (reading 'x')`,
    });
    // Strikes are per task: another task starts afresh.
    await expect(process({}, 'buggy', 'task-b')).resolves.toMatchObject({
      status: 'transient',
    });
    expect(logged(logs, 'error').join('\n')).toContain(
      'BuggyProcessor threw on task task-a',
    );
    await app.close();
  });

  it('never fails a task for an outage that escaped its processor', async () => {
    const { app, process } = await startProcessors({
      imports: [MisbehavingModule],
    });
    for (let attempt = 0; attempt < UNEXPECTED_ERROR_ATTEMPTS + 2; attempt++) {
      await expect(process({}, 'flaky_upstream', 'task-c')).resolves.toEqual({
        status: 'transient',
        reason: 'Error: upstream answered 503',
      });
    }
    await app.close();
  });

  it('refuses to start when two processors claim the same type', async () => {
    await expect(
      startProcessors({ imports: [ClashingModule] }),
    ).rejects.toThrow(
      'task type "text_embedding" is claimed by both SecondEmbeddingProcessor and TextEmbeddingProcessor',
    );
  });
});
