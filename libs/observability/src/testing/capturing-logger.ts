import type { LoggerService } from '@nestjs/common';
import { inspect } from 'node:util';

/**
 * A Nest logger that keeps every line, with its arguments (errors with their
 * stacks) rendered in full, so a test can search everything that was logged.
 */
export class CapturingLogger implements LoggerService {
  readonly lines: string[] = [];

  log(message: unknown, ...rest: unknown[]) {
    this.keep('log', message, rest);
  }
  error(message: unknown, ...rest: unknown[]) {
    this.keep('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]) {
    this.keep('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]) {
    this.keep('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]) {
    this.keep('verbose', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]) {
    this.keep('fatal', message, rest);
  }

  /** Every line that contains `text`. */
  containing(text: string): string[] {
    return this.lines.filter((line) => line.includes(text));
  }

  private keep(level: string, message: unknown, rest: unknown[]) {
    const render = (value: unknown) =>
      typeof value === 'string' ? value : inspect(value, { depth: 10 });
    this.lines.push(`${level} ${[message, ...rest].map(render).join(' ')}`);
  }
}
