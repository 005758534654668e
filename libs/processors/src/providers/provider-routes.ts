import { Injectable } from '@nestjs/common';
import { ServiceConfig, type ProviderSettings } from '@app/config';

interface CompiledRoute {
  pattern: RegExp;
  provider: ProviderSettings;
}

/** `*` any run of characters, everything else itself, the whole name. */
const compile = (pattern: string): RegExp =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );

/**
 * Which provider serves a model: the first `MODEL_ROUTES` pattern that
 * matches, else `openai` when it has a key (docs/contract.md §4). A model
 * nothing serves has no provider: its task fails with `unknown_model`.
 */
@Injectable()
export class ProviderRoutes {
  readonly providers: readonly ProviderSettings[];
  private readonly routes: readonly CompiledRoute[];
  private readonly fallback: ProviderSettings | undefined;

  constructor(config: ServiceConfig) {
    this.providers = config.providers.list;
    const byName = new Map(this.providers.map((p) => [p.name, p]));
    this.routes = config.providers.routes.flatMap(({ pattern, provider }) => {
      const settings = byName.get(provider);
      return settings
        ? [{ pattern: compile(pattern), provider: settings }]
        : [];
    });
    this.fallback = byName.get('openai');
  }

  providerFor(model: string): ProviderSettings | undefined {
    return (
      this.routes.find(({ pattern }) => pattern.test(model))?.provider ??
      this.fallback
    );
  }
}
