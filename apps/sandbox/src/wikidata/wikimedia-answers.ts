import { STATUS_CODES } from 'node:http';

/**
 * The bodies Wikimedia's servers answer besides the API's own JSON: the
 * edge's error page (an outage, a rate limit) and its refusal of a client
 * without a proper User-Agent.
 */

export const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!,
  );

/** The HTML page Wikimedia's edge answers instead of the API when a backend fails or a client is limited. */
export function wikimediaErrorPage(status: number, message?: string): string {
  const reason =
    message ??
    (status === 429
      ? 'You are making too many requests. Please slow down.'
      : 'Our servers are currently under maintenance or experiencing a technical issue.');
  return `<!DOCTYPE html>
<html lang="en">
<meta charset="utf-8">
<title>Wikimedia Error</title>
<div class="content" role="main">
<h1>Error</h1>
<p>${escapeHtml(reason)} Please <a href="" title="Reload this page">try again</a> in a few minutes.</p>
<p>If you report this error to the Wikimedia System Administrators, please include the details below.</p>
<p class="text-muted"><code>Request served via sandbox, HTTP ${status} ${escapeHtml(STATUS_CODES[status] ?? 'Error')}</code></p>
</div>
</html>
`;
}

/** Wikimedia's answer (403, text) to a client whose User-Agent breaks its policy. */
export const USER_AGENT_REFUSAL =
  'Please set a user-agent and respect our robot policy https://w.wiki/4wJS. See also https://phabricator.wikimedia.org/T400119.\n';
