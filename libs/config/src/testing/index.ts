// `@app/config/testing`: what the configuration reads, for tests that check
// files outside the code (.env.example, Compose, Kubernetes) against it. The
// service itself uses `@app/config` only.
export { EnvironmentVariables, SECRET_VARIABLES } from '../environment.js';
export { VALID_ENVIRONMENT, configurationProblems } from './problems.js';
