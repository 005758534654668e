import { readFileSync } from 'node:fs';
import { join, matchesGlob } from 'node:path';

/** The project's Dockerfile, which builds the production image. */
export const PROJECT_DOCKERFILE = join(import.meta.dirname, '../../Dockerfile');

/** One instruction: `RUN --mount=x npm ci` is `{ keyword: 'RUN', flags: ['--mount=x'], args: 'npm ci' }`. */
export interface Instruction {
  keyword: string;
  flags: string[];
  /** The rest of the line after the flags, continuation lines joined. */
  args: string;
}

export interface Stage {
  name: string | undefined;
  base: string;
  instructions: Instruction[];
}

/** Splits a Dockerfile into stages (comments dropped, `\` continuations joined). */
export function parseDockerfile(path: string): Stage[] {
  const logical: string[] = [];
  let pending = '';
  for (const raw of readFileSync(path, 'utf8').split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && pending === '')) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    logical.push((pending + line).trim());
    pending = '';
  }
  const stages: Stage[] = [];
  for (const line of logical) {
    const [keyword] = line.split(/\s/, 1);
    let args = line.slice(keyword.length).trimStart();
    const flags: string[] = [];
    for (let flag = /^--\S+/.exec(args); flag; flag = /^--\S+/.exec(args)) {
      flags.push(flag[0]);
      args = args.slice(flag[0].length).trimStart();
    }
    const instruction = { keyword: keyword.toUpperCase(), flags, args };
    if (instruction.keyword === 'FROM') {
      const [base, as, name] = args.split(/\s+/);
      stages.push({
        base,
        name: as?.toUpperCase() === 'AS' ? name : undefined,
        instructions: [],
      });
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return stages;
}

/** The exec form `["node", "-e", "..."]` as an argument vector; undefined for the shell form. */
export function execForm(args: string): string[] | undefined {
  if (!args.trimStart().startsWith('[')) return undefined;
  return JSON.parse(args) as string[];
}

/** `HEALTHCHECK --interval=30s CMD [...]`: the command after `CMD`. */
export function healthcheckCommand(instruction: Instruction): string[] {
  const command = instruction.args.replace(/^CMD\s+/i, '');
  return execForm(command) ?? ['/bin/sh', '-c', command];
}

/**
 * `.dockerignore` as Docker reads it: the last pattern that matches a path,
 * or one of its parent directories, decides; `!` lets a path back in.
 */
export function dockerIgnore(path: string): (relativePath: string) => boolean {
  const patterns = readFileSync(path, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => ({
      negate: line.startsWith('!'),
      glob: line.replace(/^!/, '').replace(/^\/+/, '').replace(/\/+$/, ''),
    }));
  return (relativePath) => {
    const parts = relativePath.split('/');
    const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let excluded = false;
    for (const { negate, glob } of patterns) {
      if (candidates.some((candidate) => matchesGlob(candidate, glob)))
        excluded = !negate;
    }
    return excluded;
  };
}

/** The `ENV` settings of one stage, later instructions winning (`KEY=value` form, quotes removed). */
export function stageEnvironment(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { keyword, args } of stage.instructions) {
    if (keyword !== 'ENV') continue;
    for (const [, key, quoted, bare] of args.matchAll(
      /(\w+)=(?:"([^"]*)"|(\S*))/g,
    )) {
      env[key] = quoted ?? bare;
    }
  }
  return env;
}

/** The `NODE_OPTIONS` the image runs the service with (the runtime stage's heap budget). */
export function imageNodeOptions(
  dockerfilePath: string = PROJECT_DOCKERFILE,
): string {
  const runtime = parseDockerfile(dockerfilePath).find(
    (stage) => stage.name === 'runtime',
  );
  if (!runtime) throw new Error(`${dockerfilePath} has no runtime stage`);
  return stageEnvironment(runtime).NODE_OPTIONS ?? '';
}
