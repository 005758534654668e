import { userAgentProblem } from './user-agent-policy.js';

describe('userAgentProblem', () => {
  it.each([
    'ai-task-processor/1.0 (https://example.org/ops; ops@example.org)',
    'FactCheckBot/2.1 (ops@example.org) undici/7',
    'my-tool/0.1 (+https://tools.example.org/bot)',
  ])('accepts %s', (agent) => {
    expect(userAgentProblem(agent)).toBeUndefined();
  });

  it.each([
    [undefined, 'no User-Agent'],
    ['  ', 'no User-Agent'],
    ['node', 'a generic User-Agent'],
    ['undici', 'a generic User-Agent'],
    ['axios/1.7.2', 'a generic User-Agent'],
    ['python-requests/2.32.3 (ops@example.org)', 'a generic User-Agent'],
    [
      'node-fetch/1.0 (+https://github.com/bitinn/node-fetch)',
      'a generic User-Agent',
    ],
    ['ai-task-processor/1.0', 'no contact in the User-Agent'],
    ['Mozilla/5.0 (X11; Linux x86_64)', 'no contact in the User-Agent'],
  ])('refuses %s', (agent, problem) => {
    expect(userAgentProblem(agent)).toBe(problem);
  });
});
