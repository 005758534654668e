import { Test } from '@nestjs/testing';
import { CapturingLogger } from '../../../test/support/capturing-logger.js';
import { ConfigModule } from './config.module.js';

const env = {
  API_BASE_URL: 'http://tasks-api:3000',
  OAUTH2_TOKEN_URL: 'http://127.0.0.1:4444/oauth2/token',
  OAUTH2_CLIENT_ID: 'processor',
  OAUTH2_CLIENT_SECRET: 's3cr3t-value',
};

async function bootstrapLines(
  environment: Record<string, string>,
): Promise<string[]> {
  const logger = new CapturingLogger();
  const moduleRef = await Test.createTestingModule({
    imports: [ConfigModule.forRoot({ env: environment })],
  }).compile();
  moduleRef.useLogger(logger);
  await moduleRef.init();
  await moduleRef.close();
  return logger.lines;
}

describe('configuration warnings', () => {
  it('are logged once, as warnings of the ConfigWarnings context, when the application boots', async () => {
    const lines = await bootstrapLines(env);
    expect(lines).toEqual([
      expect.stringMatching(
        /^warn API_BASE_URL uses plain http:\/\/ to tasks-api, .* ConfigWarnings$/,
      ),
    ]);
  });

  it('say nothing when there is nothing to warn about', async () => {
    expect(
      await bootstrapLines({
        ...env,
        API_BASE_URL: 'https://tasks.example.com',
      }),
    ).toEqual([]);
  });
});
