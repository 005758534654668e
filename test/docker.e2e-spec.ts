import { execFile, spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { createServer } from 'node:http';
import { builtinModules } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, posix, relative, resolve } from 'node:path';
import {
  type Instruction,
  type Stage,
  dockerIgnore,
  execForm,
  healthcheckCommand,
  PROJECT_DOCKERFILE,
  parseDockerfile,
  stageEnvironment,
} from './support/dockerfile.js';
import { RunningProcess, SERVICE_ENTRY } from './support/service-process.js';

// There is no Docker engine on the machines that run these tests, so the
// Dockerfile is checked by its rules and by running its stages' commands
// outside Docker, each stage in a directory standing for its filesystem.

const ROOT = resolve(import.meta.dirname, '..');
const stages = parseDockerfile(PROJECT_DOCKERFILE);
const isIgnored = dockerIgnore(join(ROOT, '.dockerignore'));
const finalStage = stages.at(-1)!;
const stageNamed = (name: string): Stage => {
  const stage = stages.find((candidate) => candidate.name === name);
  if (!stage) throw new Error(`no stage named ${name} in the Dockerfile`);
  return stage;
};
const all = (stage: Stage, keyword: string): Instruction[] =>
  stage.instructions.filter((instruction) => instruction.keyword === keyword);
const last = (stage: Stage, keyword: string): Instruction | undefined =>
  all(stage, keyword).at(-1);

const validSettings = {
  API_BASE_URL: 'http://127.0.0.1:9',
  OAUTH2_TOKEN_URL: 'http://127.0.0.1:9/oauth2/token',
  OAUTH2_CLIENT_ID: 'processor',
  OAUTH2_CLIENT_SECRET: 'dummy-secret',
  // The image runs with NODE_ENV=production, where mock embeddings are only
  // for those who ask for them.
  EMBEDDING_PROVIDER: 'mock',
};

/** `ENV A=1 B=2` of a stage and the stages it is built on. */
function stageEnv(stage: Stage): Record<string, string> {
  const parent = stages.find((candidate) => candidate.name === stage.base);
  return { ...(parent ? stageEnv(parent) : {}), ...stageEnvironment(stage) };
}

/**
 * The machine's environment (HOME, CA bundles for the registry) without the
 * npm_* variables of the npm script running the tests, which would steer the
 * npm that a stage runs.
 */
function machineEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] =>
        entry[1] !== undefined && !/^(npm_|INIT_CWD$)/i.test(entry[0]),
    ),
  );
}

function run(
  command: string[],
  options: { cwd?: string; env: Record<string, string> },
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolveRun) => {
    execFile(
      command[0],
      command.slice(1),
      {
        cwd: options.cwd,
        env: { ...machineEnv(), ...options.env },
        timeout: 90_000,
      },
      (error, stdout, stderr) =>
        resolveRun({
          code: error ? (typeof error.code === 'number' ? error.code : 1) : 0,
          output: `${stdout}${stderr}`,
        }),
    );
  });
}

/**
 * Runs a stage's WORKDIR, COPY and RUN instructions with `root` standing
 * for its filesystem. Context copies honour .dockerignore; `COPY --from`
 * reads the named stage's root. `substitute` may take over a RUN.
 */
async function runStage(
  stage: Stage,
  root: string,
  stageRoots: Map<string, string>,
  substitute: (command: string, workdir: string) => boolean = () => false,
): Promise<string> {
  let workdir = '/';
  const inside = (path: string) => join(root, posix.resolve(workdir, path));
  for (const { keyword, flags, args } of stage.instructions) {
    if (keyword === 'WORKDIR') {
      workdir = posix.resolve(workdir, args);
      mkdirSync(inside('.'), { recursive: true });
    } else if (keyword === 'COPY') {
      const from = flags.find((flag) => flag.startsWith('--from='))?.slice(7);
      const paths = execForm(args) ?? args.split(/\s+/);
      const destination = paths.pop()!;
      for (const source of paths) {
        const sourcePath = from
          ? join(stageRoots.get(from)!, source)
          : join(ROOT, source);
        const target = destination.endsWith('/')
          ? join(inside(destination), posix.basename(source))
          : inside(destination);
        cpSync(sourcePath, target, {
          recursive: true,
          filter: (path) =>
            from !== undefined ||
            path === ROOT ||
            !isIgnored(relative(ROOT, path).split('\\').join('/')),
        });
      }
    } else if (keyword === 'RUN') {
      if (substitute(args, inside('.'))) continue;
      const result = await run(['/bin/sh', '-c', args], {
        cwd: inside('.'),
        env: stageEnv(stage),
      });
      expect(result.code, `RUN ${args}\n${result.output}`).toBe(0);
    }
  }
  return inside('.');
}

describe('Dockerfile', () => {
  it('builds every stage on the official Node 24 image or on another stage', () => {
    const names = stages.map((stage) => stage.name);
    for (const stage of stages) {
      expect(
        /^node:24[.-]/.test(stage.base) || names.includes(stage.base),
        `FROM ${stage.base}`,
      ).toBe(true);
    }
    expect(finalStage.base).toMatch(/^node:24-[a-z]+-slim(@|$)/);
  });

  it('pins the base image by digest, the same one for every stage', () => {
    const names = stages.map((stage) => stage.name);
    const bases = stages
      .map((stage) => stage.base)
      .filter((base) => !names.includes(base));
    expect(bases.length).toBeGreaterThan(0);
    for (const base of bases)
      expect(base).toMatch(/^node:24-bookworm-slim@sha256:[0-9a-f]{64}$/);
    expect(new Set(bases).size).toBe(1);
  });

  it('builds with every dependency and ships the production ones only', () => {
    const build = stageNamed('build');
    const buildRuns = all(build, 'RUN').map(({ args }) => args);
    expect(buildRuns).toContainEqual(expect.stringMatching(/^npm ci\b/));
    expect(buildRuns).toContainEqual('npm run build');

    const finalRuns = all(finalStage, 'RUN').map(({ args }) => args);
    const installs = finalRuns.filter((args) =>
      /\bnpm (ci|install|i)\b/.test(args),
    );
    expect(installs).toHaveLength(1);
    expect(installs[0]).toMatch(/^npm ci\b.*--omit=dev/);
    // From the build stage, only the service's bundle: no node_modules, no sources.
    const copiedFromBuild = all(finalStage, 'COPY')
      .filter(({ flags }) => flags.some((flag) => flag.startsWith('--from=')))
      .map(({ args }) => args);
    expect(copiedFromBuild).toEqual([
      '/app/dist/apps/ai-task-processor ./dist/apps/ai-task-processor',
    ]);
  });

  it('runs the service as a non-root user, stops it with SIGTERM and checks its health without curl', () => {
    const user = last(finalStage, 'USER')?.args ?? 'root';
    expect(user.split(':')[0]).toMatch(/^[1-9]\d*$/);
    expect(last(finalStage, 'STOPSIGNAL')?.args).toBe('SIGTERM');
    expect(all(finalStage, 'EXPOSE').map(({ args }) => args)).toEqual(['8001']);
    expect(execForm(last(finalStage, 'CMD')!.args)).toEqual([
      'node',
      'dist/apps/ai-task-processor/main.js',
    ]);
    const healthcheck = last(finalStage, 'HEALTHCHECK');
    expect(healthcheck).toBeDefined();
    const command = healthcheckCommand(healthcheck!);
    expect(command[0]).toBe('node');
    expect(command.join(' ')).toContain('/health');
    expect(command.join(' ')).not.toMatch(/\b(curl|wget)\b/);
    expect(healthcheck!.flags).toContainEqual(
      expect.stringMatching(/^--timeout=/),
    );
  });

  it('has a sandbox target for the dev profile that keeps the dev dependencies', () => {
    const sandbox = stageNamed('sandbox');
    expect(sandbox.base).toBe('build');
    expect(last(sandbox, 'USER')?.args.split(':')[0]).toMatch(/^[1-9]\d*$/);
    expect(execForm(last(sandbox, 'CMD')!.args)).toEqual([
      'node',
      'dist/apps/sandbox/main.js',
    ]);
  });
});

describe('.dockerignore', () => {
  it('keeps dependencies, build output, git history and .env files out of the build context', () => {
    for (const path of [
      'node_modules/@nestjs/core/package.json',
      '.git/HEAD',
      'dist/apps/ai-task-processor/main.js',
      '.env',
      '.env.production',
      'coverage/index.html',
    ]) {
      expect(isIgnored(path), path).toBe(true);
    }
    expect(isIgnored('.env.example')).toBe(false);
  });

  it('keeps credentials out of the build context, also under the directories it copies', () => {
    for (const path of [
      'apps/sandbox/.env',
      'libs/config/.env.local',
      '.npmrc',
      'apps/ai-task-processor/.npmrc',
      'tls/server.key',
      'apps/sandbox/issuer.pem',
      'deploy/k8s/base/secret.yaml',
    ]) {
      expect(isIgnored(path), path).toBe(true);
    }
    expect(isIgnored('apps/sandbox/.env.example')).toBe(false);
  });

  it('lets in every file the Dockerfile copies from the context', () => {
    const sources = stages
      .flatMap((stage) => all(stage, 'COPY'))
      .filter(({ flags }) => !flags.some((flag) => flag.startsWith('--from=')))
      .flatMap(({ args }) =>
        (execForm(args) ?? args.split(/\s+/)).slice(0, -1),
      );
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(existsSync(join(ROOT, source)), source).toBe(true);
      expect(isIgnored(source), source).toBe(false);
    }
  });
});

describe('the built image, run outside Docker', () => {
  const workspace = mkdtempSync(join(tmpdir(), 'ai-task-processor-image-'));
  /** The final stage's WORKDIR, once the stages have run. */
  let appDir = '';
  afterAll(() => rmSync(workspace, { recursive: true, force: true }));

  it('imports only production dependencies and Node built-ins from the service bundle', () => {
    const { dependencies } = JSON.parse(
      readFileSync(join(ROOT, 'package.json'), 'utf8'),
    ) as { dependencies: Record<string, string> };
    const bundle = readFileSync(SERVICE_ENTRY, 'utf8');
    const specifiers = [
      ...bundle.matchAll(
        /\bfrom\s*["']([^"'./][^"']*)["']|\bimport\s*\(\s*["']([^"'./][^"']*)["']\s*\)|\brequire\(\s*["']([^"'./][^"']*)["']\s*\)|^import\s*["']([^"'./][^"']*)["']/gm,
      ),
    ].map((match) => match.slice(1).find(Boolean)!);
    expect(specifiers.length).toBeGreaterThan(5);
    const packageOf = (specifier: string) =>
      specifier
        .split('/')
        .slice(0, specifier.startsWith('@') ? 2 : 1)
        .join('/');
    const outside = specifiers.filter(
      (specifier) =>
        !specifier.startsWith('node:') &&
        !builtinModules.includes(specifier) &&
        !(packageOf(specifier) in dependencies),
    );
    expect(outside).toEqual([]);
  });

  it('builds, installs the production dependencies, starts the service, and its HEALTHCHECK tells healthy from not', async () => {
    // Build stage: its commands in a copy of the build context. Its full
    // `npm ci` is stood in for by the repository's own node_modules (the
    // production install below is the real thing).
    const buildRoot = join(workspace, 'build');
    const buildDir = await runStage(
      stageNamed('build'),
      buildRoot,
      new Map(),
      (command, workdir) => {
        if (!/^npm ci\b/.test(command) || command.includes('--omit=dev'))
          return false;
        symlinkSync(join(ROOT, 'node_modules'), join(workdir, 'node_modules'));
        return true;
      },
    );
    expect(
      existsSync(join(buildDir, 'dist/apps/ai-task-processor/main.js')),
    ).toBe(true);
    const sandboxCommand = execForm(last(stageNamed('sandbox'), 'CMD')!.args)!;
    expect(existsSync(join(buildDir, sandboxCommand[1]))).toBe(true);

    // Final stage, for real: `npm ci --omit=dev` from the lock file.
    appDir = await runStage(
      finalStage,
      join(workspace, 'runtime'),
      new Map([['build', buildRoot]]),
    );
    expect(existsSync(join(appDir, 'node_modules/@nestjs/core'))).toBe(true);
    expect(existsSync(join(appDir, 'node_modules/vitest'))).toBe(false);

    const [program, ...args] = execForm(last(finalStage, 'CMD')!.args)!;
    expect(program).toBe('node');
    const imageEnv = stageEnv(finalStage);
    const service = new RunningProcess(
      spawn(process.execPath, args, {
        cwd: appDir,
        env: {
          PATH: process.env.PATH ?? '',
          ...imageEnv,
          ...validSettings,
          METRICS_PORT: '0',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    const healthcheck = healthcheckCommand(last(finalStage, 'HEALTHCHECK')!);
    const probe = (port: number) =>
      run([process.execPath, ...healthcheck.slice(1)], {
        env: { ...imageEnv, METRICS_PORT: String(port) },
      });
    let port: number;
    try {
      const listening = await service.waitForLog(
        (record) => record.msg === 'http server listening',
      );
      port = Number(listening.port);
      expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
      expect(await probe(port)).toEqual({ code: 0, output: '' });
    } finally {
      expect((await service.stop()).code).toBe(0);
    }
    // Nothing listens there any more.
    expect((await probe(port)).code).not.toBe(0);
  });

  it('starts in a terminal (`docker run -it`) with the production dependencies only', async () => {
    expect(appDir, 'the previous test installs the image').not.toBe('');
    const [, ...args] = execForm(last(finalStage, 'CMD')!.args)!;
    // `script` gives the service a pseudo-terminal as stdout.
    const command = [process.execPath, ...args].join(' ');
    const service = new RunningProcess(
      spawn('script', ['-qec', `exec ${command}`, '/dev/null'], {
        cwd: appDir,
        env: {
          PATH: process.env.PATH ?? '',
          ...stageEnv(finalStage),
          ...validSettings,
          METRICS_PORT: '0',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    try {
      const started = await new Promise<boolean>((settle) => {
        const check = () => {
          if (service.stdout.includes('http server listening')) settle(true);
        };
        service.child.stdout?.on('data', check);
        void service.exited.then(() => settle(false));
        check();
      });
      expect(started, service.stdout.slice(-2000)).toBe(true);
    } finally {
      await service.stop('SIGTERM', 5_000);
    }
  });

  it('HEALTHCHECK fails when /health answers an error', async () => {
    const server = createServer((_request, response) => {
      response.writeHead(503).end('{"status":"error"}');
    });
    await new Promise<void>((listening) =>
      server.listen(0, '127.0.0.1', listening),
    );
    try {
      const { port } = server.address() as AddressInfo;
      const healthcheck = healthcheckCommand(last(finalStage, 'HEALTHCHECK')!);
      const result = await run([process.execPath, ...healthcheck.slice(1)], {
        env: { METRICS_PORT: String(port) },
      });
      expect(result.code).toBe(1);
    } finally {
      await new Promise((closed) => server.close(closed));
    }
  });
});
