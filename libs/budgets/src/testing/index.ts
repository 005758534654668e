// `@app/budgets/testing`: helpers for the tests of the budgets and of what
// uses them (a real redis-server of a test's own). The service never
// imports it.
export { type RedisServer, startRedisServer } from './redis-server.js';
