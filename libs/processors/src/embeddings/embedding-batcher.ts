import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { Counter, Histogram } from 'prom-client';
import { ServiceConfig } from '@app/config';
import { InjectMetric, METRIC } from '@app/observability';
import type { TokenUsage } from '../task-processor.js';
import { apportion } from './apportion.js';
import { BatchTimer } from './batch-timer.js';
import { MAX_INPUTS_PER_REQUEST } from './embedding-models.js';
import {
  EmbeddingProvider,
  EmbeddingProviderError,
  type EmbeddingResponse,
} from './embedding-provider.js';
import { modelLabel } from './model-label.js';

/** Inputs that may share a request. */
export interface BatchKey {
  model: string;
  dimensions?: number;
}

export interface BatchItem {
  text: string;
  /** Counted beforehand; the request limit is in tokens. */
  tokens: number;
}

/** A failure is an `EmbeddingProviderError`, or whatever a bug threw. */
export type EmbeddingOutcome =
  | { kind: 'embedded'; vector: Float32Array; usage: TokenUsage }
  | { kind: 'error'; error: unknown };

interface Entry {
  item: BatchItem;
  settle: (outcome: EmbeddingOutcome) => void;
}

class Batch {
  readonly entries: Entry[] = [];
  tokens = 0;
  queued = false;
  cancelWait?: () => void;

  constructor(
    readonly key: BatchKey,
    readonly id: string,
  ) {}

  add(entry: Entry): void {
    this.entries.push(entry);
    this.tokens += entry.item.tokens;
  }

  static of(key: BatchKey, id: string, entries: Entry[]): Batch {
    const batch = new Batch(key, id);
    entries.forEach((entry) => batch.add(entry));
    batch.queued = true;
    return batch;
  }
}

const idOf = ({ model, dimensions }: BatchKey) =>
  `${model}\0${dimensions ?? ''}`;

/**
 * Sends the embeddings of tasks in flight together: inputs with the same
 * (model, dimensions) gather for at most `EMBEDDING_BATCH_WAIT_MS` after the
 * first arrives, up to `EMBEDDING_BATCH_SIZE` inputs and OpenAI's request
 * limits; at most `OPENAI_MAX_CONCURRENT_REQUESTS` requests are in flight
 * and ready batches queue (still taking company) for a free slot. A batch
 * the provider rejects is split in halves until the rejected inputs stand
 * alone, so only their tasks fail.
 */
@Injectable()
export class EmbeddingBatcher implements OnModuleDestroy {
  private readonly logger = new Logger(EmbeddingBatcher.name);
  private readonly maxInputs: number;
  private readonly waitMs: number;
  private readonly maxInFlight: number;
  /** Batches that still take inputs, by key: gathering or queued. */
  private readonly joinable = new Map<string, Batch>();
  /** Batches done gathering, waiting for a request slot, oldest first. */
  private readonly queue: Batch[] = [];
  private inFlight = 0;

  constructor(
    config: ServiceConfig,
    private readonly provider: EmbeddingProvider,
    private readonly timer: BatchTimer,
    @InjectMetric(METRIC.openaiBatchSize)
    private readonly batchSizes: Histogram<'model'>,
    @InjectMetric(METRIC.openaiTokens)
    private readonly tokensUsed: Counter<'model' | 'type'>,
  ) {
    const { batchSize, batchWaitMs, maxConcurrentRequests } = config.embeddings;
    // Each task in flight brings one input: once a batch holds as many as
    // can be in flight, no one else can join, so waiting longer only adds
    // latency (at the default CONCURRENCY_LIMIT of 5, the whole wait).
    this.maxInputs = Math.min(
      batchSize,
      MAX_INPUTS_PER_REQUEST,
      config.tasks.concurrencyLimit,
    );
    this.waitMs = batchWaitMs;
    this.maxInFlight = maxConcurrentRequests;
  }

  /** Never rejects: every outcome is an `EmbeddingOutcome`. */
  embed(key: BatchKey, item: BatchItem): Promise<EmbeddingOutcome> {
    return new Promise((settle) => {
      const id = idOf(key);
      let batch = this.joinable.get(id);
      if (batch && !this.fits(batch, item)) {
        this.close(batch);
        batch = undefined;
      }
      batch ??= this.open(key, id);
      batch.add({ item, settle });
      if (this.isFull(batch)) this.close(batch);
    });
  }

  /** Shutting down: nothing waits for company any more. */
  onModuleDestroy(): void {
    for (const batch of this.joinable.values()) this.enqueue(batch);
  }

  private fits(batch: Batch, item: BatchItem): boolean {
    return (
      batch.entries.length < this.maxInputs &&
      batch.tokens + item.tokens <=
        this.provider.maxRequestTokens(batch.key.model)
    );
  }

  private isFull(batch: Batch): boolean {
    return (
      batch.entries.length >= this.maxInputs ||
      batch.tokens >= this.provider.maxRequestTokens(batch.key.model)
    );
  }

  private open(key: BatchKey, id: string): Batch {
    const batch = new Batch(key, id);
    this.joinable.set(id, batch);
    batch.cancelWait = this.timer.schedule(this.waitMs, () =>
      this.enqueue(batch),
    );
    return batch;
  }

  /** Full: it takes no more inputs, and goes as soon as a slot is free. */
  private close(batch: Batch): void {
    if (this.joinable.get(batch.id) === batch) this.joinable.delete(batch.id);
    this.enqueue(batch);
  }

  /** Done waiting: queued for a slot, still joinable until it leaves. */
  private enqueue(batch: Batch): void {
    batch.cancelWait?.();
    batch.cancelWait = undefined;
    if (!batch.queued) {
      batch.queued = true;
      this.queue.push(batch);
    }
    this.pump();
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.shift()!;
      if (this.joinable.get(batch.id) === batch) this.joinable.delete(batch.id);
      void this.send(batch);
    }
  }

  private async send(batch: Batch): Promise<void> {
    this.inFlight += 1;
    const { model, dimensions } = batch.key;
    this.batchSizes.observe({ model: modelLabel(model) }, batch.entries.length);
    try {
      const response = await this.provider.embed({
        model,
        dimensions,
        inputs: batch.entries.map(({ item }) => item.text),
        tokens: batch.tokens,
      });
      this.deliver(batch, response);
    } catch (error) {
      this.fail(batch, error);
    } finally {
      this.inFlight -= 1;
      this.pump();
    }
  }

  /** Each task gets its vector and its share of the usage, by its tokens. */
  private deliver(batch: Batch, { vectors, usage }: EmbeddingResponse): void {
    if (vectors.length !== batch.entries.length) {
      // Providers check their answers; this keeps a defect in one from
      // reaching a task as a missing result.
      this.fail(
        batch,
        new EmbeddingProviderError(
          'unavailable',
          `the embedding provider answered ${vectors.length} vectors for ${batch.entries.length} inputs`,
        ),
      );
      return;
    }
    const model = modelLabel(batch.key.model);
    const used = usage ?? {
      promptTokens: batch.tokens,
      totalTokens: batch.tokens,
    };
    this.tokensUsed.inc({ model, type: 'prompt_tokens' }, used.promptTokens);
    this.tokensUsed.inc({ model, type: 'total_tokens' }, used.totalTokens);
    const weights = batch.entries.map(({ item }) => item.tokens);
    const prompt = apportion(used.promptTokens, weights);
    const total = apportion(used.totalTokens, weights);
    batch.entries.forEach(({ settle }, index) =>
      settle({
        kind: 'embedded',
        vector: vectors[index],
        usage: { promptTokens: prompt[index], totalTokens: total[index] },
      }),
    );
  }

  private fail(batch: Batch, error: unknown): void {
    const { entries } = batch;
    if (
      error instanceof EmbeddingProviderError &&
      error.kind === 'input_rejected' &&
      entries.length > 1
    ) {
      const middle = Math.ceil(entries.length / 2);
      this.logger.warn(
        `the provider rejected a batch of ${entries.length} inputs; retrying as ${middle} + ${entries.length - middle} to find the rejected ones`,
      );
      // Ahead of newer work: these tasks have waited longest.
      this.queue.unshift(
        Batch.of(batch.key, batch.id, entries.slice(0, middle)),
        Batch.of(batch.key, batch.id, entries.slice(middle)),
      );
      return;
    }
    entries.forEach(({ settle }) => settle({ kind: 'error', error }));
  }
}
