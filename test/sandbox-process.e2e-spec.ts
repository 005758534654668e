import { startProcess } from './support/service-process.js';
import {
  call,
  fetchToken,
  SANDBOX_ENTRY,
  startSandboxProcess,
  type TaskDocument,
} from './support/sandbox.js';

describe('the built sandbox process (dist/apps/sandbox/main.js)', () => {
  it('starts from its environment, announces its port, serves every part and stops on SIGTERM', async () => {
    const sandbox = await startSandboxProcess(
      {
        SANDBOX_SEED: '6',
        SANDBOX_SEED_LEGACY: '2',
        SANDBOX_CLIENT_ID: 'worker',
        SANDBOX_CLIENT_SECRET: 'worker-secret',
        SANDBOX_TOKEN_TTL: '120',
      },
      ['--conflict-on-claim'],
    );
    try {
      expect(sandbox.process.logRecords()[0]).toEqual({
        msg: 'sandbox listening',
        url: `http://127.0.0.1:${sandbox.port}`,
        port: sandbox.port,
        tokenUrl: `http://127.0.0.1:${sandbox.port}/oauth2/token`,
        embeddingsUrl: `http://127.0.0.1:${sandbox.port}/v1`,
        clientId: 'worker',
        seeded: 6,
      });
      expect(sandbox.process.stdout).not.toContain('worker-secret');

      const token = await fetchToken(
        sandbox.tokenUrl,
        'worker',
        'worker-secret',
      );
      expect(token.expires_in).toBe(120);
      const pending = await call<TaskDocument[]>(
        `${sandbox.url}/api/ai-tasks/pending`,
        { token: token.access_token },
      );
      expect(pending.body).toHaveLength(6);
      expect(
        pending.body.filter((task) => task.type === 'text-embedding'),
      ).toHaveLength(2);

      const claim = () =>
        call(`${sandbox.url}/api/ai-tasks/${String(pending.body[0]._id)}`, {
          method: 'PATCH',
          token: token.access_token,
          body: { state: 'in_progress' },
        });
      expect((await claim()).status).toBe(200);
      expect((await claim()).status).toBe(409);

      const embeddings = await call(`${sandbox.embeddingsUrl}/embeddings`, {
        method: 'POST',
        token: 'sk-any',
        body: { model: 'text-embedding-3-small', input: ['a', 'b'] },
      });
      expect(embeddings.status).toBe(200);

      expect(await sandbox.admin.stats()).toMatchObject({
        tasks: { total: 6, pending: 5, in_progress: 1 },
        claims: 1,
        claimConflicts: 1,
        pendingCalls: 1,
        embeddings: { inputs: 2 },
      });
    } finally {
      expect(await sandbox.stop()).toEqual({ code: 0, signal: null });
    }
  });

  it('exits 1 naming every invalid setting', async () => {
    const run = startProcess(
      SANDBOX_ENTRY,
      {
        SANDBOX_PORT: '70000',
        SANDBOX_SEED: 'many',
        SANDBOX_HONOUR_LIMIT: 'maybe',
      },
      ['--token-ttl', '0'],
    );
    expect(await run.exited).toEqual({ code: 1, signal: null });
    expect(run.stderr.trim().split('\n')).toEqual([
      'SANDBOX_PORT must be a port number from 0 to 65535 (got "70000")',
      'SANDBOX_SEED must be a non-negative integer (got "many")',
      '--token-ttl must be a positive integer (got "0")',
      'SANDBOX_HONOUR_LIMIT must be true or false (got "maybe")',
    ]);
    expect(run.stdout).toBe('');
  });
});
