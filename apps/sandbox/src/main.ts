import { startSandbox } from './sandbox.js';
import { readSandboxEnvironment } from './sandbox-env.js';

const environment = readSandboxEnvironment(process.env, process.argv.slice(2));
if (!environment.ok) {
  process.stderr.write(`${environment.problems.join('\n')}\n`);
  process.exit(1);
}

const sandbox = await startSandbox(environment.options);
// One JSON line that scripts and tests parse for the bound port; never the secret.
process.stdout.write(
  `${JSON.stringify({
    msg: 'sandbox listening',
    url: sandbox.url,
    port: sandbox.port,
    tokenUrl: sandbox.tokenUrl,
    embeddingsUrl: sandbox.embeddingsUrl,
    clientId: sandbox.clientId,
    seeded: sandbox.stats().tasks.total,
  })}\n`,
);

for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.once(signal, () => {
    void sandbox.close().then(() => process.exit(0));
  });
