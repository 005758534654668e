import { providerEndpoint } from '../providers/provider-settings.js';

/** Every route the sandbox tells apart in its stats and faults. */
export const ROUTES = [
  'pending',
  'list',
  'patch',
  'create',
  'token',
  'introspection',
  'issuer',
  'embeddings',
  'chat',
  'wikidata',
  'other',
] as const;
export type RouteName = (typeof ROUTES)[number];

/**
 * PATCH calls by the state they ask for: a fault can hit only claims
 * (`in_progress`), only result deliveries (`succeeded`, `failed`) or only
 * releases (`pending`). These are decided once the body is read.
 */
export type TransitionPoint = 'claim' | 'complete' | 'release';

/** Where a fault applies: a route, or the kind of a PATCH. */
export type FaultPoint = RouteName | TransitionPoint;

/** What a fault can target: one route or PATCH kind, or `tasks` for the four tasks-API routes. */
export const FAULT_TARGETS = {
  pending: ['pending'],
  list: ['list'],
  patch: ['patch'],
  claim: ['claim'],
  complete: ['complete'],
  release: ['release'],
  create: ['create'],
  tasks: ['pending', 'list', 'patch', 'create'],
  token: ['token'],
  embeddings: ['embeddings'],
  chat: ['chat'],
  wikidata: ['wikidata'],
} as const satisfies Record<string, readonly FaultPoint[]>;
export type FaultTarget = keyof typeof FAULT_TARGETS;

export function isFaultTarget(value: unknown): value is FaultTarget {
  return typeof value === 'string' && Object.hasOwn(FAULT_TARGETS, value);
}

const TASKS = '/api/ai-tasks';

/** The MediaWiki action API of the Wikidata stand-in. */
export const WIKIDATA_API_PATH = '/w/api.php';

/** Names the route of a request; `undefined` for the admin routes, which are never counted or faulted. */
export function routeOf(method: string, path: string): RouteName | undefined {
  if (path.startsWith('/admin/') || path === '/admin') return undefined;
  if (path === `${TASKS}/pending` && method === 'GET') return 'pending';
  if (path === TASKS && method === 'GET') return 'list';
  if (path === TASKS && method === 'POST') return 'create';
  if (path.startsWith(`${TASKS}/`) && method === 'PATCH') return 'patch';
  if (path === '/oauth2/token' && method === 'POST') return 'token';
  if (path === '/oauth2/introspect') return 'introspection';
  if (path.startsWith('/oauth2/')) return 'issuer';
  const endpoint = providerEndpoint(path);
  if (endpoint === '/v1/embeddings' && method === 'POST') return 'embeddings';
  if (endpoint === '/v1/chat/completions' && method === 'POST') return 'chat';
  if (path === WIKIDATA_API_PATH) return 'wikidata';
  return 'other';
}

/**
 * Routes whose controller takes the error and garbage faults itself, once the
 * request is read, so that their stats can name the model (embeddings, chat)
 * and the provider, or the action (Wikidata), of a faulted call. Latency
 * still applies in front.
 */
export const FAULTED_BY_CONTROLLER: ReadonlySet<RouteName> = new Set([
  'embeddings',
  'chat',
  'wikidata',
]);

/** Where garbage can be answered instead of the real body. */
export const GARBAGE_TARGETS = ['pending', 'chat', 'wikidata'] as const;
export type GarbageTarget = (typeof GARBAGE_TARGETS)[number];

/** Whether a path belongs to the tasks API (`/api/…`): the paths the reference profile throttles and redirects. */
export function isTasksApiPath(path: string): boolean {
  return path === '/api' || path.startsWith('/api/');
}

/** The path of a request as the client sent it, without the query. */
export function requestPath(req: {
  originalUrl?: string;
  url?: string;
}): string {
  const url = req.originalUrl ?? req.url ?? '/';
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}
