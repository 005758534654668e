import { Injectable } from '@nestjs/common';
import {
  type ModelRoute,
  type ProviderSettings,
  ServiceConfig,
  matchesModelPattern,
} from '@app/config';

/**
 * Which provider serves a model: the first `MODEL_ROUTES` pattern that
 * matches, else `openai` when it has a key (docs/contract.md §4). A model
 * nothing serves has no provider: its task fails with `unknown_model`.
 */
@Injectable()
export class ProviderRoutes {
  readonly providers: readonly ProviderSettings[];
  private readonly routes: readonly (ModelRoute & {
    settings: ProviderSettings;
  })[];
  private readonly fallback: ProviderSettings | undefined;

  constructor(config: ServiceConfig) {
    this.providers = config.providers.list;
    const byName = new Map(this.providers.map((p) => [p.name, p]));
    this.routes = config.providers.routes.flatMap((route) => {
      const settings = byName.get(route.provider);
      return settings ? [{ ...route, settings }] : [];
    });
    this.fallback = byName.get('openai');
  }

  providerFor(model: string): ProviderSettings | undefined {
    return (
      this.routes.find(({ pattern }) => matchesModelPattern(pattern, model))
        ?.settings ?? this.fallback
    );
  }
}
