import { BlockList, isIP } from 'node:net';

/** The settings that name a peer the service sends secrets or task data to. */
export type UrlVariable =
  'API_BASE_URL' | 'OAUTH2_TOKEN_URL' | 'OPENAI_BASE_URL' | 'WIKIDATA_API_URL';

/** What would cross the network in the clear, per setting: for the warning. */
const CARRIES: Record<UrlVariable, string> = {
  API_BASE_URL: 'access tokens and task data',
  OAUTH2_TOKEN_URL: 'the client secret and access tokens',
  OPENAI_BASE_URL: 'the API key and the texts to embed',
  WIKIDATA_API_URL: 'the names looked up in the texts',
};

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/**
 * 127.0.0.0/8, ::1 (and IPv4-mapped 127.x, which `BlockList` matches against
 * the IPv4 rule) or `localhost`: traffic that never leaves the machine, or
 * the pod.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (host === 'localhost') return true;
  const family = isIP(host);
  return family !== 0 && LOOPBACK.check(host, family === 4 ? 'ipv4' : 'ipv6');
}

const parse = (value: unknown): URL | undefined => {
  if (typeof value !== 'string') return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:'
      ? url
      : undefined;
  } catch {
    return undefined;
  }
};

/** Plain HTTP to a host other than this machine: readable on the way. */
const plainHttpAcrossNetwork = (url: URL): boolean =>
  url.protocol === 'http:' && !isLoopbackHost(url.hostname);

/**
 * What is wrong with a URL setting, each as the rest of a sentence that
 * starts with the variable's name; empty when nothing is. The value is
 * echoed only when it cannot carry a secret (no `@`, `?` or `#`): the
 * whole point of these rules is that it may.
 */
export function urlProblems(
  value: unknown,
  { requireHttps }: { requireHttps: boolean },
): string[] {
  const url = parse(value);
  if (!url) {
    const echo =
      typeof value === 'string' && !/[@?#]/.test(value)
        ? ` (got "${value}")`
        : '';
    return [`must be an http(s) URL${echo}`];
  }
  const problems: string[] = [];
  if (url.username !== '' || url.password !== '')
    problems.push('must not contain credentials (user:password@)');
  if (url.search !== '') problems.push('must not contain a query string');
  if (url.hash !== '') problems.push('must not contain a fragment (#...)');
  if (requireHttps && plainHttpAcrossNetwork(url))
    problems.push(
      'must use https:// when REQUIRE_HTTPS is true (plain http:// only to a loopback host)',
    );
  return problems;
}

/**
 * The URL as the service uses and logs it: origin and path. Validation has
 * refused everything else a URL can hold, so nothing is lost; this only
 * normalises (lower-case host, no default port).
 */
export function originAndPath(value: string): string {
  const url = new URL(value);
  return `${url.origin}${url.pathname}`;
}

/** The start-up warning for plain HTTP across the network, or undefined. */
export function plainHttpWarning(
  variable: UrlVariable,
  value: string,
): string | undefined {
  const url = parse(value);
  if (!url || !plainHttpAcrossNetwork(url)) return undefined;
  return `${variable} uses plain http:// to ${url.hostname}, which is not a loopback address: ${CARRIES[variable]} cross the network unencrypted (set REQUIRE_HTTPS=true to refuse this)`;
}
