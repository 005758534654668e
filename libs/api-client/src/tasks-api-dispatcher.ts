/**
 * Injection token of the undici `Dispatcher` (a keep-alive `Pool` on the
 * origin of `API_BASE_URL`) that carries every call to the tasks API.
 */
export const TASKS_API_DISPATCHER = Symbol('TASKS_API_DISPATCHER');
