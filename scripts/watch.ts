// `npm run start:dev` (and `start:debug`): `nest start --watch` with any
// arguments given, alongside `tsc --watch`. rspack strips the types without
// checking them, so the type checker runs beside it and reports each error,
// its lines prefixed `[tsc]`, as files are saved; the service is rebuilt and
// restarted either way. Run by Node 24 directly (type stripping): erasable
// TypeScript only.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = resolve(import.meta.dirname, '..');
const bin = (name: string) => resolve(ROOT, 'node_modules/.bin', name);

const checker = spawn(
  bin('tsc'),
  [
    '-p',
    'tsconfig.build.json',
    '--watch',
    '--preserveWatchOutput',
    ...(process.stdout.isTTY ? ['--pretty'] : []),
  ],
  { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
);
createInterface({ input: checker.stdout }).on('line', (line) => {
  if (line.trim()) process.stdout.write(`[tsc] ${line}\n`);
});

const nest = spawn(
  bin('nest'),
  ['start', '--watch', ...process.argv.slice(2)],
  { cwd: ROOT, stdio: 'inherit' },
);

let stopping = false;
// Ctrl-C reaches both children through the terminal's process group; a
// signal sent to this process alone is passed on. Either way this process
// waits for Nest to stop.
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    stopping = true;
    nest.kill(signal);
    checker.kill(signal);
  });

nest.on('exit', (code, signal) => {
  stopping = true;
  checker.kill('SIGTERM');
  process.exitCode =
    code ?? (signal === 'SIGINT' || signal === 'SIGTERM' ? 0 : 1);
});
checker.on('exit', (code) => {
  if (!stopping)
    process.stderr.write(
      `[tsc] the type checker stopped (exit code ${code}); types are no longer checked\n`,
    );
});
