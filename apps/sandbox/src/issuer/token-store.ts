import { Injectable } from '@nestjs/common';
import type { Adapter, AdapterPayload } from 'oidc-provider';

interface Entry {
  payload: AdapterPayload;
  expiresAtMs: number;
}

const TOKEN_MODELS = new Set([
  'ClientCredentials',
  'AccessToken',
  'RefreshToken',
]);
const SWEEP_EVERY = 1000;

/**
 * The issuer's storage, one per sandbox (oidc-provider's bundled memory
 * adapter shares one store per process and caps it at 1,000 entries). It can
 * drop every issued token at once: the "revoke all tokens" fault.
 */
@Injectable()
export class TokenStore {
  private readonly entries = new Map<string, Entry>();
  private writes = 0;

  adapterFor(model: string): Adapter {
    const key = (id: string) => `${model}:${id}`;
    return {
      upsert: async (id, payload, expiresIn) => {
        this.entries.set(key(id), {
          payload,
          expiresAtMs: expiresIn ? Date.now() + expiresIn * 1000 : Infinity,
        });
        if (++this.writes % SWEEP_EVERY === 0) this.sweep();
      },
      find: async (id) => this.live(key(id)),
      findByUid: async (uid) =>
        this.findWhere(model, (payload) => payload.uid === uid),
      findByUserCode: async (code) =>
        this.findWhere(model, (payload) => payload.userCode === code),
      consume: async (id) => {
        const entry = this.entries.get(key(id));
        if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
      },
      destroy: async (id) => {
        this.entries.delete(key(id));
      },
      revokeByGrantId: async (grantId) => {
        for (const [entryKey, entry] of this.entries)
          if (entry.payload.grantId === grantId) this.entries.delete(entryKey);
      },
    };
  }

  /** Drops every issued token; answers how many were still valid. */
  revokeAll(): number {
    let revoked = 0;
    const now = Date.now();
    for (const [key, entry] of this.entries) {
      if (!TOKEN_MODELS.has(key.slice(0, key.indexOf(':')))) continue;
      if (entry.expiresAtMs > now) revoked += 1;
      this.entries.delete(key);
    }
    return revoked;
  }

  private live(key: string): AdapterPayload | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAtMs <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.payload;
  }

  private findWhere(
    model: string,
    match: (payload: AdapterPayload) => boolean,
  ): AdapterPayload | undefined {
    for (const [key, entry] of this.entries)
      if (key.startsWith(`${model}:`) && match(entry.payload))
        return this.live(key);
    return undefined;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.entries)
      if (entry.expiresAtMs <= now) this.entries.delete(key);
  }
}
