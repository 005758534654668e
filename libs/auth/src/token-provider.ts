import { UpstreamError } from '@app/resilience';

/** The token endpoint refused or failed; the message never contains a secret. */
export class TokenEndpointError extends UpstreamError {
  constructor(
    message: string,
    /** False when retrying cannot help (credentials refused, bad request). */
    readonly transient: boolean,
    /** A 429: the issuer is up and asked us to slow down; not a breaker failure. */
    readonly throttled = false,
  ) {
    super(message);
    this.name = 'TokenEndpointError';
  }
}

/**
 * OAuth2 client-credentials access tokens (docs/contract.md §2), cached until
 * shortly before they expire. Injected by this class.
 */
export abstract class TokenProvider {
  /** A valid access token; concurrent callers share one renewal. */
  abstract getToken(): Promise<string>;
  /**
   * Drops the cached token (the API answered 401/403 with it). Given the
   * refused token, drops it only while it is still the cached one, so that
   * many calls refused at once cause one renewal, not one each.
   */
  abstract invalidate(refused?: string): void;
}
