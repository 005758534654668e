import { Injectable } from '@nestjs/common';
import { ROUTES, type RouteName } from './traffic/routes.js';

export interface RouteTraffic {
  total: number;
  /** Answers by status code. */
  byStatus: Record<string, number>;
  /** Request bodies received and answer bodies sent, by their Content-Length. */
  bytesIn: number;
  bytesOut: number;
}

export interface EmbeddingCounters {
  /** Embeddings requests answered 200. */
  requests: number;
  /** Inputs embedded, counting each text of each request. */
  inputs: number;
  tokens: number;
  /** Distinct (model, dimensions, text) embedded. */
  distinctTexts: number;
  /** Distinct texts embedded more than once: the waste batching and claims must avoid. */
  textsEmbeddedMoreThanOnce: number;
}

export interface TaskCounters {
  /** Successful claims: pending -> in_progress. */
  claims: number;
  /** Claims of a task that was no longer pending (answered 409, or 200 without conditional updates). */
  claimConflicts: number;
  /** Other updates refused with 409. */
  rejectedTransitions: number;
  /** in_progress -> pending. */
  releases: number;
  /** Updates to succeeded or failed that were applied. */
  completions: number;
  /** Tasks that were set to succeeded or failed more than once. */
  tasksCompletedMoreThanOnce: number;
}

export interface CallbackCounters {
  /** Results handed to a task's callback (a `succeeded` PATCH with a `result`, when `callbacks`). */
  dispatches: number;
  /** Dispatches that failed: invalid callback parameters (400) or an injected failure. */
  failures: number;
  /** Tasks whose result was dispatched more than once. */
  tasksDispatchedMoreThanOnce: number;
}

/** Calls of one model or one action. */
export interface CallCounters {
  total: number;
  /** Answers by status code. */
  byStatus: Record<string, number>;
}

export interface ChatCounters {
  /** Chat completions answered 200. */
  completions: number;
  promptTokens: number;
  /** Reasoning tokens included. */
  completionTokens: number;
  reasoningTokens: number;
  /** Every request the chat route read, by the `model` it asked for (`(none)` without one). */
  byModel: Record<string, CallCounters>;
  /** Completions that showed a chat fault, by kind (injected or asked for by a marker). */
  faulted: Record<string, number>;
}

export interface WikidataCounters {
  /** Every request of `/w/api.php`, by its `action` (`(none)` without one). */
  byAction: Record<string, CallCounters>;
  /** 403s for a missing or generic User-Agent. */
  userAgentRefusals: number;
  /** `maxlag` errors answered while a lag fault was on. */
  lagged: number;
}

/** The calls one provider received (docs/sandbox.md, "Providers and rate limits"). */
export interface ProviderCounters {
  /** Every embeddings and chat request that reached the provider, whatever its answer. */
  requests: number;
  /** The same, by the `model` asked for (`(none)` without one). */
  byModel: Record<string, CallCounters>;
  /** 429s answered by the provider's rate limits (not injected ones). */
  throttled: number;
  /** `usage.total_tokens` of the answers of 200. */
  tokens: number;
}

/** What the reference profile's behaviours did. */
export interface ReferenceCounters {
  callbacks: CallbackCounters;
  /** 429s answered by the throttle. */
  throttled: number;
  /** 404s of the tasks API answered as a 302 to /404. */
  redirects: number;
}

/** Counters for what tests and benchmarks assert on. No task data lives here. */
@Injectable()
export class SandboxStats {
  private traffic = SandboxStats.emptyTraffic();
  private counters = SandboxStats.emptyCounters();
  private embedded = new Map<string, number>();
  private embeddings = { requests: 0, inputs: 0, tokens: 0, repeated: 0 };
  private reference = SandboxStats.emptyReference();
  private chat = SandboxStats.emptyChat();
  private wikidata = SandboxStats.emptyWikidata();
  private providers: Record<string, ProviderCounters> = {};

  private static emptyChat(): ChatCounters {
    return {
      completions: 0,
      promptTokens: 0,
      completionTokens: 0,
      reasoningTokens: 0,
      byModel: {},
      faulted: {},
    };
  }

  private static emptyWikidata(): WikidataCounters {
    return { byAction: {}, userAgentRefusals: 0, lagged: 0 };
  }

  private static countCall(
    counters: Record<string, CallCounters>,
    key: string,
    status: number,
  ): void {
    const call = (counters[key] ??= { total: 0, byStatus: {} });
    call.total += 1;
    call.byStatus[status] = (call.byStatus[status] ?? 0) + 1;
  }

  private static emptyTraffic(): Record<RouteName, RouteTraffic> {
    return Object.fromEntries(
      ROUTES.map((route) => [
        route,
        { total: 0, byStatus: {}, bytesIn: 0, bytesOut: 0 },
      ]),
    ) as Record<RouteName, RouteTraffic>;
  }

  private static emptyCounters(): TaskCounters {
    return {
      claims: 0,
      claimConflicts: 0,
      rejectedTransitions: 0,
      releases: 0,
      completions: 0,
      tasksCompletedMoreThanOnce: 0,
    };
  }

  private static emptyReference(): ReferenceCounters {
    return {
      callbacks: { dispatches: 0, failures: 0, tasksDispatchedMoreThanOnce: 0 },
      throttled: 0,
      redirects: 0,
    };
  }

  /** One dispatch to a callback; `nth` is how many the task has had, this one included. */
  dispatched(failed: boolean, nth: number): void {
    const { callbacks } = this.reference;
    callbacks.dispatches += 1;
    if (failed) callbacks.failures += 1;
    if (nth === 2) callbacks.tasksDispatchedMoreThanOnce += 1;
  }

  throttled(): void {
    this.reference.throttled += 1;
  }

  redirected(): void {
    this.reference.redirects += 1;
  }

  referenceCounters(): ReferenceCounters {
    return structuredClone(this.reference);
  }

  answered(
    route: RouteName,
    status: number,
    bytesIn: number,
    bytesOut: number,
  ): void {
    const traffic = this.traffic[route];
    traffic.total += 1;
    traffic.byStatus[status] = (traffic.byStatus[status] ?? 0) + 1;
    traffic.bytesIn += bytesIn;
    traffic.bytesOut += bytesOut;
  }

  count(counter: keyof TaskCounters): void {
    this.counters[counter] += 1;
  }

  /** One embeddings request answered: `keys` name each input by (model, dimensions, text). */
  embeddedInputs(keys: readonly string[], tokens: number): void {
    this.embeddings.requests += 1;
    this.embeddings.inputs += keys.length;
    this.embeddings.tokens += tokens;
    for (const key of keys) {
      const times = (this.embedded.get(key) ?? 0) + 1;
      this.embedded.set(key, times);
      if (times === 2) this.embeddings.repeated += 1;
    }
  }

  /** One chat request answered, whatever its status. */
  chatAnswered(model: string, status: number): void {
    SandboxStats.countCall(this.chat.byModel, model, status);
  }

  /** One chat completion answered 200, with the fault it showed if any. */
  chatCompleted(
    usage: { prompt: number; completion: number; reasoning: number },
    fault: string | undefined,
  ): void {
    this.chat.completions += 1;
    this.chat.promptTokens += usage.prompt;
    this.chat.completionTokens += usage.completion;
    this.chat.reasoningTokens += usage.reasoning;
    if (fault) this.chat.faulted[fault] = (this.chat.faulted[fault] ?? 0) + 1;
  }

  /** One Wikidata request answered, whatever its status. */
  wikidataAnswered(action: string, status: number): void {
    SandboxStats.countCall(this.wikidata.byAction, action, status);
  }

  userAgentRefused(): void {
    this.wikidata.userAgentRefusals += 1;
  }

  lagged(): void {
    this.wikidata.lagged += 1;
  }

  private provider(name: string): ProviderCounters {
    return (this.providers[name] ??= {
      requests: 0,
      byModel: {},
      throttled: 0,
      tokens: 0,
    });
  }

  /** One embeddings or chat request of a provider answered, whatever its status. */
  providerAnswered(name: string, model: string, status: number): void {
    const provider = this.provider(name);
    provider.requests += 1;
    SandboxStats.countCall(provider.byModel, model, status);
  }

  /** One 429 of a provider's rate limits. */
  providerThrottled(name: string): void {
    this.provider(name).throttled += 1;
  }

  /** The tokens of one answer of 200 from a provider. */
  providerUsed(name: string, tokens: number): void {
    this.provider(name).tokens += tokens;
  }

  providerCounters(): Record<string, ProviderCounters> {
    return structuredClone(this.providers);
  }

  chatCounters(): ChatCounters {
    return structuredClone(this.chat);
  }

  wikidataCounters(): WikidataCounters {
    return structuredClone(this.wikidata);
  }

  requests(): Record<RouteName, RouteTraffic> {
    return structuredClone(this.traffic);
  }

  tasks(): TaskCounters {
    return { ...this.counters };
  }

  embeddingCounters(): EmbeddingCounters {
    return {
      requests: this.embeddings.requests,
      inputs: this.embeddings.inputs,
      tokens: this.embeddings.tokens,
      distinctTexts: this.embedded.size,
      textsEmbeddedMoreThanOnce: this.embeddings.repeated,
    };
  }

  reset(): void {
    this.traffic = SandboxStats.emptyTraffic();
    this.counters = SandboxStats.emptyCounters();
    this.embedded = new Map();
    this.embeddings = { requests: 0, inputs: 0, tokens: 0, repeated: 0 };
    this.reference = SandboxStats.emptyReference();
    this.chat = SandboxStats.emptyChat();
    this.wikidata = SandboxStats.emptyWikidata();
    this.providers = {};
  }
}
