import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { waitUntil } from './support/eventually.js';
import {
  type RunningProcess,
  startProcess,
} from './support/service-process.js';

const TASK_TYPES = [
  'text_embedding',
  'identifying_data',
  'defining_topics',
  'defining_impact_area',
  'defining_severity',
];
const DEMO = resolve(import.meta.dirname, '../scripts/demo.ts');

const logDirs: string[] = [];
afterAll(() => {
  for (const dir of logDirs) rmSync(dir, { recursive: true, force: true });
});

function startDemo(
  args: string[],
  env: Record<string, string> = {},
): RunningProcess {
  const logDir = mkdtempSync(join(tmpdir(), 'ai-task-processor-demo-'));
  logDirs.push(logDir);
  return startProcess(DEMO, env, [...args, '--log-dir', logDir]);
}

/** Pids of the live processes whose parent is `pid` (Linux /proc). */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((entry) => {
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        // Fields after the parenthesised command: state, ppid, ...
        const [, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return Number(ppid) === pid ? [Number(entry)] : [];
      } catch {
        return [];
      }
    });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function address(output: string, label: string): string {
  const match = new RegExp(`^\\s+${label}\\s+(http://\\S+)$`, 'm').exec(output);
  if (!match) throw new Error(`no "${label}" address in:\n${output}`);
  return match[1];
}

describe('npm run demo (node scripts/demo.ts, not on a terminal)', () => {
  // The sandbox runs the reference profile with its throttle raised by
  // default; the user's own SANDBOX_* environment wins over those defaults.
  it.each([
    {
      mode: 'mock embeddings',
      args: [],
      viaSdk: false,
      env: {} as Record<string, string>,
      throttleLimit: 100_000,
    },
    {
      mode: 'the openai SDK against the sandbox',
      args: ['--openai-compatible'],
      viaSdk: true,
      env: { SANDBOX_THROTTLE_LIMIT: '50000' },
      throttleLimit: 50_000,
    },
  ])(
    'drains its backlog with $mode, prints a summary, keeps running, and stops both children cleanly on SIGINT',
    async ({ args, viaSdk, env, throttleLimit }) => {
      const demo = startDemo(
        [
          '--tasks',
          '50',
          '--sandbox-port',
          '0',
          '--service-port',
          '0',
          ...args,
        ],
        env,
      );
      try {
        await waitUntil(
          () => /^\s+more tasks\s/m.test(demo.stdout),
          'the demo printed its summary and addresses',
          { timeoutMs: 60_000, intervalMs: 100 },
        );
        const output = demo.stdout;
        expect(output).toMatch(
          /^summary: 50 succeeded, 0 failed in \d+\.\d s \(\d+\.\d tasks\/s\)$/m,
        );
        // All five types, ten tasks each, every one succeeded.
        for (const type of TASK_TYPES) {
          expect(output).toMatch(new RegExp(`^  ${type} +10 succeeded$`, 'm'));
        }
        // Plain lines, no terminal control characters, and no JSON logs. The
        // rate is left out of a line when the whole backlog ended between two
        // samples (the summary above carries it), so it is optional here.
        expect(output).toMatch(
          /^progress: 50\/50 done(, \d+\.\d tasks\/s)? \(50 succeeded, 0 failed, 0 in flight\)$/m,
        );
        expect(output.includes('\r') || output.includes('\u001b')).toBe(false);
        expect(output).not.toMatch(/^\{/m);
        expect(output).toContain(
          viaSdk ? 'embeddings through the openai SDK' : 'mock embeddings',
        );

        // Both keep running, at the addresses printed. The demo counts a task
        // done when the sandbox has its result; the service counts it once it
        // has read the sandbox's answer.
        const succeeded =
          /^ai_tasks_processed_total\{[^}]*status="succeeded"[^}]*\} (\d+)$/gm;
        await waitUntil(async () => {
          const metrics = await fetch(address(output, 'metrics'));
          expect(metrics.status).toBe(200);
          const counts = [...(await metrics.text()).matchAll(succeeded)];
          return (
            counts.reduce((sum, [, count]) => sum + Number(count), 0) === 50
          );
        }, 'the service counted the 50 tasks succeeded');
        expect((await fetch(address(output, 'readiness'))).status).toBe(200);
        const stats = (await (
          await fetch(address(output, 'sandbox stats'))
        ).json()) as {
          tasks: { succeeded: number };
          embeddings: { requests: number };
          chat: { completions: number };
          requests: { wikidata: { total: number } };
        };
        expect(stats.tasks.succeeded).toBe(50);
        if (viaSdk) {
          expect(stats.embeddings.requests).toBeGreaterThan(0);
          expect(stats.chat.completions).toBeGreaterThanOrEqual(40);
        } else {
          // Mock mode: nothing but the tasks API leaves the service.
          expect(stats.embeddings.requests).toBe(0);
          expect(stats.chat.completions).toBe(0);
          expect(stats.requests.wikidata.total).toBe(0);
        }
        const settings = await fetch(
          new URL('/admin/settings', address(output, 'sandbox stats')),
        );
        expect(await settings.json()).toMatchObject({
          profile: 'reference',
          throttleLimit,
          callbacks: true,
          strictIssuer: true,
        });

        const children = childrenOf(demo.child.pid!);
        expect(children).toHaveLength(2);

        const exit = await demo.stop('SIGINT', 45_000);
        expect(exit).toEqual({ code: 0, signal: null });
        expect(demo.stdout).toContain('service stopped (exit code 0)');
        expect(demo.stdout).toContain('sandbox stopped (exit code 0)');
        expect(demo.stderr).toBe('');
        for (const pid of children) expect(isAlive(pid)).toBe(false);
        await expect(fetch(address(output, 'metrics'))).rejects.toThrow();
      } finally {
        await demo.stop('SIGKILL');
      }
    },
  );

  describe('a busy port', () => {
    let blocker: Server;
    let port: number;
    beforeAll(async () => {
      blocker = createServer();
      await new Promise<void>((ready) => blocker.listen(0, ready));
      const bound = blocker.address();
      port = typeof bound === 'object' && bound ? bound.port : 0;
    });
    afterAll(async () => {
      await new Promise((closed) => blocker.close(closed));
    });

    it.each([
      { flag: '--sandbox-port', who: 'sandbox' },
      { flag: '--service-port', who: 'service' },
    ])(
      'for the $who is one line naming the port and $flag, exit code 1',
      async ({ flag, who }) => {
        const demo = startDemo(['--tasks', '5', flag, String(port)]);
        const exit = await demo.exited;
        expect(exit.code).toBe(1);
        expect(demo.stderr).toBe(
          `port ${port} for the ${who} is in use: choose another with ${flag} <port> (or DEMO_${who.toUpperCase()}_PORT; 0 picks a free one)\n`,
        );
        expect(demo.stdout).toBe('');
      },
    );
  });
});
