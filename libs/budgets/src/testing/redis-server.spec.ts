import { Redis } from 'ioredis';
import { startRedisServer } from './redis-server.js';

describe('startRedisServer', () => {
  it('starts a loopback redis-server of its own, and stops it', async () => {
    const server = await startRedisServer();
    expect(server.url).toBe(`redis://127.0.0.1:${server.port}/0`);
    const client = new Redis(server.url, { lazyConnect: true });
    await client.connect();
    expect(await client.ping()).toBe('PONG');
    // No snapshots: nothing of a test outlives its server.
    expect(await client.config('GET', 'save')).toEqual(['save', '']);
    client.disconnect();
    await server.stop();
    await server.stop();
  });

  it('fails, naming the package to install, when redis-server is missing', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await expect(startRedisServer()).rejects.toThrow(
        /redis-server was not found on PATH: .*apt-get install redis-server/,
      );
    } finally {
      process.env.PATH = path;
    }
  });
});
