import { ConfigValidationError, ServiceConfig } from '../service-config.js';

/** The fewest settings with which the configuration is valid. */
export const VALID_ENVIRONMENT: Readonly<Record<string, string>> = {
  API_BASE_URL: 'http://127.0.0.1:3000/',
  OAUTH2_TOKEN_URL: 'http://127.0.0.1:4444/oauth2/token',
  OAUTH2_CLIENT_ID: 'processor',
  OAUTH2_CLIENT_SECRET: 's3cr3t-value',
};

/** The problem lines an environment is refused with; none when it is valid. */
export function configurationProblems(
  env: Record<string, string | undefined>,
): string[] {
  try {
    ServiceConfig.fromEnvironment(env);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.problems;
    throw error;
  }
  return [];
}
