import { randomBytes } from 'node:crypto';
import type { TestingModule } from '@nestjs/testing';
import { CapturingLogger } from '../../../test/support/capturing-logger.js';
import { ScriptedServer } from '../../../test/support/scripted-server.js';
import {
  TOKEN_ROUTE,
  scriptedEnvironment,
} from '../../../test/support/scripted-token-endpoint.js';
import { taskDocument } from '../../../test/support/task-documents.js';
import { startApiClientModule } from './testing/index.js';
import { TasksApiClient } from './tasks-api-client.js';

const PENDING = 'GET /api/ai-tasks/pending';
const SECRET = `secret-${randomBytes(12).toString('hex')}`;

describe('logs of the auth and api-client libraries', () => {
  let server: ScriptedServer;
  let moduleRef: TestingModule;
  const logger = new CapturingLogger();
  const issued: string[] = [];

  beforeAll(async () => {
    server = await ScriptedServer.start();
    moduleRef = await startApiClientModule({
      env: scriptedEnvironment(server, {
        OAUTH2_CLIENT_SECRET: SECRET,
        MAX_RETRIES: '1',
        CIRCUIT_BREAKER_THRESHOLD: '3',
        API_MAX_RESPONSE_BYTES: '4000',
      }),
      logger,
    });
  });
  afterAll(async () => {
    await moduleRef.close();
    await server.close();
  });

  it('never contain the client secret or a token, whatever happens', async () => {
    const api = moduleRef.get(TasksApiClient);
    const errors: string[] = [];
    const attempt = (call: Promise<unknown>) =>
      call.catch((error: Error) =>
        errors.push(`${error.message}\n${error.stack}`),
      );

    // The token endpoint refuses, echoing the secret, then fails once, then issues.
    server.once(
      TOKEN_ROUTE,
      {
        status: 400,
        body: {
          error: 'invalid_request',
          error_description: `bad secret ${SECRET}`,
        },
      },
      { status: 503, body: { message: `down ${SECRET}` } },
    );
    server.on(TOKEN_ROUTE, () => {
      const token = `eyJ${randomBytes(24).toString('base64url')}`;
      issued.push(token);
      return {
        body: { access_token: token, token_type: 'Bearer', expires_in: 3600 },
      };
    });
    await attempt(api.fetchPending(5));
    // Refused token, retries, a bad body, an over-size page, an open breaker.
    server.once(
      PENDING,
      { status: 403 },
      { status: 503 },
      { body: { not: 'an array' } },
      { body: Array.from({ length: 30 }, () => taskDocument()) },
    );
    server.on(PENDING, { status: 503 });
    for (let call = 0; call < 6; call++) await attempt(api.fetchPending(50));

    expect(issued.length).toBeGreaterThanOrEqual(2);
    expect(logger.lines.length).toBeGreaterThan(5);
    expect(logger.containing('circuit breaker open')).toHaveLength(1);
    expect(logger.containing('reached API_MAX_RESPONSE_BYTES')).toHaveLength(1);
    expect(logger.containing('[REDACTED]')).toHaveLength(1);
    const basic = Buffer.from(`ai-task-processor:${SECRET}`).toString('base64');
    for (const text of [...logger.lines, ...errors]) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(basic);
      expect(text).not.toMatch(/Bearer\s+\S/);
      for (const token of issued) expect(text).not.toContain(token);
    }
  });
});
