/**
 * Wikimedia's User-Agent policy (https://meta.wikimedia.org/wiki/User-Agent_policy):
 * a client must say who it is and how to reach its operator. Requests with
 * no User-Agent, with a library's default one, or with no contact (an e-mail
 * address or a URL) are refused with a 403.
 */

/** Library and tool defaults: a User-Agent that starts with one of these names nobody. */
const GENERIC =
  /^(node-fetch|node|undici|axios|got|python-requests|python-urllib|python-httpx|aiohttp|curl|wget|go-http-client|okhttp|java|apache-httpclient|libwww-perl|ruby|php|guzzlehttp)(\/|\s|$)/i;
const EMAIL = /[^\s@<>()]+@[^\s@<>()]+\.[a-z]{2,}/i;
const URL = /(https?:\/\/|www\.)[^\s)]+|\b[a-z0-9-]+(\.[a-z0-9-]+)+\/[^\s)]*/i;

/** Why a User-Agent breaks the policy, or undefined when it follows it. */
export function userAgentProblem(
  userAgent: string | undefined,
): string | undefined {
  const agent = userAgent?.trim();
  if (!agent) return 'no User-Agent';
  if (GENERIC.test(agent)) return 'a generic User-Agent';
  if (!EMAIL.test(agent) && !URL.test(agent))
    return 'no contact in the User-Agent';
  return undefined;
}
