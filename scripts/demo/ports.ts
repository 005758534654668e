import { createServer } from 'node:net';

/**
 * Why `port` cannot be listened on, or undefined when it can. Checked before
 * a child is started, so that a busy port is one clear line rather than a
 * stack trace from inside the child (a child still reports a port taken in
 * between).
 */
export function portProblem(
  port: number,
  host?: string,
): Promise<string | undefined> {
  if (port === 0) return Promise.resolve(undefined);
  return new Promise((resolveProblem) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      resolveProblem(
        error.code === 'EADDRINUSE'
          ? 'is in use'
          : `cannot be used (${error.code ?? error.message})`,
      ),
    );
    probe.listen({ port, host, exclusive: true }, () =>
      probe.close(() => resolveProblem(undefined)),
    );
  });
}
