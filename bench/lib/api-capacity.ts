import { Agent, request } from 'node:http';
import { seededRandom } from './figures.ts';

export interface CapacityRun {
  tasks: number;
  elapsedMs: number;
  tasksPerSecond: number;
  /** Answers other than 200, by status: there should be none. */
  failures: Record<string, number>;
}

/**
 * A unit vector of 1,536 float32 values, serialised once as the service
 * writes them (9 significant digits each): the bare client does no processing.
 */
function resultBody(): string {
  const random = seededRandom(1536);
  const vector = Array.from({ length: 1536 }, () => random() * 2 - 1);
  const norm = Math.hypot(...vector);
  return JSON.stringify({
    state: 'succeeded',
    result: vector.map((value) =>
      Number(Math.fround(value / norm).toPrecision(9)),
    ),
  });
}

const CLAIM_BODY = JSON.stringify({ state: 'in_progress' });
const REQUEST_TIMEOUT_MS = 30_000;

function patch(
  agent: Agent,
  url: URL,
  token: string,
  id: string,
  body: string,
): Promise<number> {
  return new Promise((resolvePatch, rejectPatch) => {
    const call = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        method: 'PATCH',
        path: `/api/ai-tasks/${id}`,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          accept: 'application/json',
        },
        timeout: REQUEST_TIMEOUT_MS,
      },
      (response) => {
        response.resume();
        response.once('end', () => resolvePatch(response.statusCode ?? 0));
        response.once('error', rejectPatch);
      },
    );
    call.once('timeout', () =>
      call.destroy(new Error(`PATCH timed out after ${REQUEST_TIMEOUT_MS} ms`)),
    );
    call.once('error', rejectPatch);
    call.end(body);
  });
}

/**
 * The tasks API's own capacity: `concurrency` workers each claim a task and
 * complete it with a 1,536-float result, the two PATCHes the service makes
 * per task, over keep-alive connections and nothing else.
 */
export async function measureApiCapacity(
  baseUrl: string,
  token: string,
  ids: readonly string[],
  concurrency: number,
): Promise<CapacityRun> {
  const url = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const complete = resultBody();
  const failures: Record<string, number> = {};
  const count = (status: number) => {
    if (status !== 200) failures[status] = (failures[status] ?? 0) + 1;
  };
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++];
      count(await patch(agent, url, token, id, CLAIM_BODY));
      count(await patch(agent, url, token, id, complete));
    }
  };
  const started = performance.now();
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    agent.destroy();
  }
  const elapsedMs = performance.now() - started;
  return {
    tasks: ids.length,
    elapsedMs,
    tasksPerSecond: ids.length / (elapsedMs / 1000),
    failures,
  };
}
