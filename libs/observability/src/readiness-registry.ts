import { Injectable } from '@nestjs/common';

/** A readiness check resolves when ready and throws an Error saying why not. */
export type ReadinessCheck = () => Promise<void> | void;

/**
 * The modules that know whether the service can work (auth, api-client,
 * processors, tasks) register their checks here; `/ready` runs them all.
 * Keeping the list here lets those modules stay unaware of HTTP and Terminus.
 */
@Injectable()
export class ReadinessRegistry {
  private readonly checks = new Map<string, ReadinessCheck>();

  register(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  entries(): [string, ReadinessCheck][] {
    return [...this.checks.entries()];
  }
}
