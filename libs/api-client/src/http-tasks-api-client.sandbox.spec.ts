import type { TestingModule } from '@nestjs/testing';
import { type Sandbox, startSandbox } from '../../../test/support/sandbox.js';
import { connectionEnvironment } from '../../../test/support/service-against-sandbox.js';
import { startApiClientModule } from './testing/index.js';
import { TasksApiClient } from './tasks-api-client.js';

/** The client against the sandbox: a real tasks API behind a real issuer. */
describe('HttpTasksApiClient against the sandbox', () => {
  let sandbox: Sandbox;
  let moduleRef: TestingModule;
  let api: TasksApiClient;

  beforeAll(async () => {
    sandbox = await startSandbox();
    moduleRef = await startApiClientModule({
      env: connectionEnvironment(sandbox),
    });
    api = moduleRef.get(TasksApiClient);
  });
  afterAll(async () => {
    await moduleRef.close();
    await sandbox.close();
  });
  beforeEach(() => sandbox.reset());

  it('takes a task through its lifecycle', async () => {
    const [seeded] = sandbox.seed(1);
    const page = await api.fetchPending(10);
    expect(page.tasks.map((task) => task.id)).toEqual([seeded._id]);
    expect(await api.claim(seeded._id)).toBe('claimed');
    expect(sandbox.task(seeded._id)?.state).toBe('in_progress');
    await api.complete(seeded._id, [0.6, 0.8]);
    expect(sandbox.task(seeded._id)).toMatchObject({
      state: 'succeeded',
      result: [0.6, 0.8],
    });
  });

  it('keeps only `limit` tasks when the API ignores it', async () => {
    sandbox.seed(300);
    const page = await api.fetchPending(5);
    expect(page.tasks).toHaveLength(5);
  });

  it('answers conflict when another worker claimed the task first', async () => {
    sandbox.updateSwitches({ conflictOnClaim: true });
    const [seeded] = sandbox.seed(1);
    expect(await api.claim(seeded._id)).toBe('claimed');
    expect(await api.claim(seeded._id)).toBe('conflict');
  });

  it('gets a new token when the issuer revoked the old one', async () => {
    const [seeded] = sandbox.seed(1);
    await api.fetchPending(1);
    const before = sandbox.stats().requests.token.total;
    expect(sandbox.revokeAllTokens()).toBeGreaterThan(0);
    await api.release(seeded._id);
    expect(sandbox.stats().requests.token.total).toBe(before + 1);
    expect(sandbox.stats().requests.patch.byStatus).toMatchObject({
      '403': 1,
      '200': 1,
    });
  });
});
