import { spawn } from 'node:child_process';
import {
  cp,
  mkdir,
  mkdtemp,
  readFile,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { waitUntil } from './support/eventually.js';
import { type Sandbox, startReferenceSandbox } from './support/sandbox.js';
import { serviceEnvironment } from './support/service-against-sandbox.js';
import { startProcess } from './support/service-process.js';

const ROOT = resolve(import.meta.dirname, '..');
const GUIDE = 'docs/extending.md';
/** The type the guide's walk-through builds, and what it answers (in mock mode). */
const EXAMPLE = {
  type: 'defining_impact_area',
  text: 'A vacina contra a gripe será obrigatória em todo o país.',
  result: {
    name: expect.any(String),
    wikidataId: expect.stringMatching(/^Q\d+$/),
    language: 'pt',
  },
};

/** One step of the guide: a file it shows whole, or an edit it shows as a diff. */
interface GuideStep {
  kind: 'file' | 'edit';
  path: string;
  body: string;
}

/**
 * The guide's steps, in order: each fenced block right after an
 * `<!-- extending:file PATH -->` or `<!-- extending:edit PATH -->` comment
 * (invisible on a rendered page, so the reader sees only the code).
 */
function guideSteps(markdown: string): GuideStep[] {
  const marked =
    /<!-- extending:(file|edit) (\S+) -->\n+```[a-z]*\n([\s\S]*?)^```$/gm;
  return [...markdown.matchAll(marked)].map(([, kind, path, body]) => ({
    kind: kind as GuideStep['kind'],
    path,
    body,
  }));
}

/**
 * Applies an edit written as a diff without line numbers, as a reader would:
 * lines starting with ` ` stay, `-` go, `+` come, and `@@` separates
 * places. The lines a place starts with must be in the file exactly once,
 * so a guide that no longer matches the code fails here, by name.
 */
function applyEdit(source: string, diff: string, path: string): string {
  let result = source;
  for (const hunk of diff.trimEnd().split(/^@@.*\n/m)) {
    const lines = hunk.split('\n');
    const side = (skip: string) =>
      lines
        .filter((line) => !line.startsWith(skip))
        .map((line) => line.slice(1))
        .join('\n');
    const [before, after] = [side('+'), side('-')];
    const found = result.split(before).length - 1;
    if (found !== 1) {
      throw new Error(
        `the guide's edit of ${path} expects these lines once, found ${found} times:\n${before}`,
      );
    }
    result = result.replace(before, () => after);
  }
  return result;
}

/** The same edit undone: what it adds is taken away, what it takes away comes back. */
const undo = (diff: string): string =>
  diff
    .split('\n')
    .map((line) =>
      line.startsWith('+')
        ? `-${line.slice(1)}`
        : line.startsWith('-')
          ? `+${line.slice(1)}`
          : line,
    )
    .join('\n');

/** Runs a command to its end; rejects with its output unless it exits 0. */
function run(cwd: string, command: string, args: string[]): Promise<string> {
  return new Promise((resolveRun, rejectRun) => {
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk) => (output += chunk));
    child.once('error', rejectRun);
    child.once('exit', (code) =>
      code === 0
        ? resolveRun(output)
        : rejectRun(
            new Error(
              `${command} ${args.join(' ')} exited ${code}:\n${output}`,
            ),
          ),
    );
  });
}

/** `npm` as this run's own (npm_execpath), else the one on PATH. */
const npm = (cwd: string, ...args: string[]) =>
  process.env.npm_execpath
    ? run(cwd, process.execPath, [process.env.npm_execpath, ...args])
    : run(cwd, 'npm', args);

/** Sources only: dependencies are linked, build output and history left out. */
const LEFT_OUT = new Set(['node_modules', 'dist', '.git', 'coverage', '.demo']);

describe('docs/extending.md, followed as written', () => {
  let copy: string;
  let changed: string[];
  const tool = (name: string) => join(copy, 'node_modules/.bin', name);

  beforeAll(async () => {
    copy = await mkdtemp(join(tmpdir(), 'extending-'));
    await cp(ROOT, copy, {
      recursive: true,
      filter: (source) => !LEFT_OUT.has(relative(ROOT, source).split('/')[0]),
    });
    await symlink(join(ROOT, 'node_modules'), join(copy, 'node_modules'));

    const steps = guideSteps(await readFile(join(ROOT, GUIDE), 'utf8'));
    expect(steps.map(({ kind, path }) => `${kind} ${path}`)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^file .+\.processor\.ts$/),
        expect.stringMatching(/^file .+\.module\.ts$/),
        expect.stringMatching(/^file .+\.spec\.ts$/),
        'edit libs/processors/src/processors.module.ts',
      ]),
    );
    // The guide shows the repository's own files: the type it builds exists.
    // Taken out of the copy (files deleted, edit undone), it is built again
    // from the guide alone.
    for (const step of steps) {
      const target = join(copy, step.path);
      if (step.kind === 'file') {
        expect(step.body, `${GUIDE} shows ${step.path} as it is`).toBe(
          await readFile(join(ROOT, step.path), 'utf8'),
        );
        await rm(target);
      } else {
        const source = await readFile(target, 'utf8');
        await writeFile(target, applyEdit(source, undo(step.body), step.path));
      }
    }
    for (const step of steps) {
      const target = join(copy, step.path);
      if (step.kind === 'file') {
        await mkdir(dirname(target), { recursive: true });
        // `wx`: the guide creates files, it never overwrites one.
        await writeFile(target, step.body, { flag: 'wx' });
      } else {
        const source = await readFile(target, 'utf8');
        await writeFile(target, applyEdit(source, step.body, step.path));
      }
    }
    changed = [...new Set(steps.map((step) => step.path))];
  });

  afterAll(async () => {
    // Removes the link to node_modules, not what it points to.
    if (copy) await rm(copy, { recursive: true, force: true });
  });

  it('type checks, and passes oxlint and prettier as written', async () => {
    // What changed and everything it imports, with the project's settings:
    // the rest of the project is `npm run lint`'s business.
    await writeFile(
      join(copy, 'tsconfig.extending.json'),
      JSON.stringify({ extends: './tsconfig.json', include: changed }),
    );
    await run(copy, tool('tsc'), ['-p', 'tsconfig.extending.json']);
    await run(copy, tool('oxlint'), [
      '--type-aware',
      '--deny-warnings',
      ...changed,
    ]);
    await run(copy, tool('prettier'), ['--check', ...changed]);
  });

  it("passes the guide's spec, and leaves the registry's green", async () => {
    const spec = changed.find((path) => path.endsWith('.spec.ts'))!;
    const output = await run(copy, tool('vitest'), [
      'run',
      // Its cache is in node_modules, which is this repository's.
      '--no-cache',
      '--project',
      'unit',
      spec,
      'libs/processors/src/processor-registry.spec.ts',
    ]);
    expect(output).toMatch(/Test Files\s+2 passed/);
  });

  describe('the built service', () => {
    let sandbox: Sandbox;

    beforeAll(async () => {
      sandbox = await startReferenceSandbox();
    });
    afterAll(async () => {
      await sandbox?.close();
    });

    it(`succeeds a ${EXAMPLE.type} task against the sandbox`, async () => {
      await npm(copy, 'run', 'build');
      const task = sandbox.createTask({
        type: EXAMPLE.type,
        text: EXAMPLE.text,
      });
      const service = startProcess(
        join(copy, 'dist/apps/ai-task-processor/main.js'),
        {
          METRICS_PORT: '0',
          ...serviceEnvironment(sandbox, {
            env: { POLLING_INTERVAL_SECONDS: '1' },
          }),
        },
      );
      try {
        await service.waitForLog((record) =>
          String(record.msg).startsWith('task processors: '),
        );
        expect(
          service
            .logRecords()
            .find((record) =>
              String(record.msg).startsWith('task processors: '),
            )?.msg,
        ).toContain(`${EXAMPLE.type} -> `);
        await waitUntil(
          () => sandbox.task(String(task._id))?.state === 'succeeded',
          `the ${EXAMPLE.type} task succeeded`,
          { timeoutMs: 20_000 },
        );
        expect(sandbox.task(String(task._id))?.result).toEqual(EXAMPLE.result);
      } finally {
        expect((await service.stop()).code).toBe(0);
      }
    });
  });
});
