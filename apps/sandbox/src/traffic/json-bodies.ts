import { Inject, Injectable } from '@nestjs/common';
import express, {
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
} from 'express';
import { LENIENT_BODY_LIMIT_BYTES, SandboxSettings } from '../settings.js';
import { isTasksApiPath, requestPath } from './routes.js';

/**
 * Express's JSON body parser, as Nest installs it, with the tasks API's limit
 * read from the settings on every request (`bodyLimitBytes`: 64 MiB by
 * default, Express's own 100 kB in the reference profile), so that it can
 * change at run time. Above it Express answers 413. The admin routes and the
 * embeddings and chat endpoints always read up to 64 MiB.
 */
@Injectable()
export class JsonBodies {
  private readonly parsers = new Map<number, RequestHandler>();

  constructor(
    @Inject(SandboxSettings) private readonly settings: SandboxSettings,
  ) {}

  readonly handle = (req: Request, res: Response, next: NextFunction): void => {
    const limit = isTasksApiPath(requestPath(req))
      ? this.settings.bodyLimitBytes
      : LENIENT_BODY_LIMIT_BYTES;
    void this.parserFor(limit)(req, res, next);
  };

  private parserFor(limit: number): RequestHandler {
    let parser = this.parsers.get(limit);
    if (!parser) {
      if (this.parsers.size > 16) this.parsers.clear();
      parser = express.json({ limit });
      this.parsers.set(limit, parser);
    }
    return parser;
  }
}
