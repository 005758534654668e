import { waitUntil } from './support/eventually.js';
import { ScriptedServer } from './support/scripted-server.js';
import {
  issueTokens,
  scriptedEnvironment,
} from './support/scripted-token-endpoint.js';
import {
  type RunningProcess,
  startService,
} from './support/service-process.js';
import { taskDocument } from './support/task-documents.js';

const DEPTH = 20_000;

/**
 * `{"a":{"a":...{}}}` nested DEPTH levels, written as text: JSON.stringify
 * itself overflows the stack on such an object, the way a recursive
 * validator does.
 */
const deeplyNested = `${'{"a":'.repeat(DEPTH)}{}${'}'.repeat(DEPTH)}`;

/** A task document as JSON text whose `content[field]` is the deeply nested object. */
function withNested(
  document: Record<string, unknown>,
  field: string,
  content: Record<string, unknown>,
): string {
  const placeholder = JSON.stringify(`nested-${String(document._id)}`);
  return JSON.stringify({
    ...document,
    content: { ...content, [field]: JSON.parse(placeholder) as string },
  }).replace(placeholder, deeplyNested);
}

const stateOf = (body: string) =>
  JSON.parse(body) as { state: string; error?: { code: string } };

describe('deeply nested content (built service against a scripted tasks API)', () => {
  let server: ScriptedServer;
  let service: RunningProcess | undefined;

  afterEach(async () => {
    if (service) expect((await service.stop()).code).toBe(0);
    service = undefined;
    await server.close();
  });

  it(`reads ${DEPTH.toLocaleString('en')} levels of content without overflowing: only the fields it needs count`, async () => {
    server = await ScriptedServer.start();
    issueTokens(server);
    const deepText = taskDocument();
    const deepExtra = taskDocument();
    const plain = taskDocument();
    const page = `[${[
      withNested(deepText, 'text', { model: 'text-embedding-3-small' }),
      withNested(deepExtra, 'extra', {
        text: 'a text beside a deep field',
        model: 'text-embedding-3-small',
      }),
      JSON.stringify(plain),
    ].join(',')}]`;
    server
      .once('GET /api/ai-tasks/pending', { body: page })
      .on('GET /api/ai-tasks/pending', { body: [] })
      .on('GET /api/ai-tasks', { body: [] })
      .on('PATCH /api/ai-tasks/:id', { body: {} });
    ({ service } = await startService(
      scriptedEnvironment(server, {
        EMBEDDING_PROVIDER: 'mock',
        POLLING_INTERVAL_SECONDS: '1',
      }),
    ));

    const finalPatch = (id: unknown) =>
      server
        .requestsTo(`PATCH /api/ai-tasks/${String(id)}`)
        .map(({ body }) => stateOf(body))
        .find(({ state }) => state !== 'in_progress');
    await waitUntil(
      () => [deepText, deepExtra, plain].every(({ _id }) => finalPatch(_id)),
      'every task was reported',
    );
    expect(finalPatch(deepText._id)).toMatchObject({
      state: 'failed',
      error: { code: 'invalid_content' },
    });
    expect(finalPatch(deepExtra._id)).toMatchObject({ state: 'succeeded' });
    expect(finalPatch(plain._id)).toMatchObject({ state: 'succeeded' });
    expect(service.stderr).not.toContain('Maximum call stack size exceeded');
  });
});
