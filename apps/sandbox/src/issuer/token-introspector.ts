import { Inject, Injectable } from '@nestjs/common';
import { SandboxSettings } from '../settings.js';
import { TokenIssuer } from './token-issuer.js';

interface Verdict {
  active: boolean;
  /** Reused until this time, never past the token's own expiry. */
  untilMs: number;
  /** The issuer's revocation count when asked: any revocation since voids the verdict. */
  revocations: number;
}

const MAX_CACHED = 10_000;

/**
 * Asks the issuer's introspection endpoint (RFC 7662) whether a bearer token
 * is active, as the reference application's guard asks Ory. Answers are
 * reused briefly (benchmarks send tens of thousands of requests with one
 * token), but never past the token's expiry nor across a revocation.
 */
@Injectable()
export class TokenIntrospector {
  private readonly verdicts = new Map<string, Verdict>();
  private readonly asking = new Map<string, Promise<boolean>>();

  constructor(
    @Inject(TokenIssuer) private readonly issuer: TokenIssuer,
    @Inject(SandboxSettings) private readonly settings: SandboxSettings,
  ) {}

  async isActive(token: string): Promise<boolean> {
    const known = this.verdicts.get(token);
    if (
      known &&
      known.untilMs > Date.now() &&
      known.revocations === this.issuer.revocationCount
    )
      return known.active;
    let pending = this.asking.get(token);
    if (!pending) {
      pending = this.ask(token).finally(() => this.asking.delete(token));
      this.asking.set(token, pending);
    }
    return pending;
  }

  private async ask(token: string): Promise<boolean> {
    const revocations = this.issuer.revocationCount;
    const { url, authorization } = this.issuer.introspection;
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        authorization,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
    });
    if (!response.ok) return false;
    const answer = (await response.json()) as {
      active?: boolean;
      exp?: number;
    };
    const active = answer.active === true;
    const now = Date.now();
    let untilMs = now + this.settings.introspectionCacheMs;
    if (active && typeof answer.exp === 'number')
      untilMs = Math.min(untilMs, answer.exp * 1000);
    if (this.verdicts.size >= MAX_CACHED) this.verdicts.clear();
    this.verdicts.set(token, { active, untilMs, revocations });
    return active;
  }
}
