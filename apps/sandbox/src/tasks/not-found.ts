import {
  type ArgumentsHost,
  Catch,
  Controller,
  Get,
  Inject,
  NotFoundException,
  Req,
  Res,
} from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { HttpServer } from '@nestjs/common';
import type { Request, Response } from 'express';
import { SandboxSettings } from '../settings.js';
import { SandboxStats } from '../stats.js';
import { isTasksApiPath, requestPath } from '../traffic/routes.js';

/** Where the real server sends every 404 (its web front end's page). */
export const NOT_FOUND_PAGE = '/404';

const PAGE = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>404: This page could not be found</title></head>
<body><h1>404</h1><p>This page could not be found.</p></body></html>
`;

/**
 * The real server's not-found filter: with `redirectNotFound`, a 404 of the
 * tasks API (an unknown id, an unknown path under /api) is answered as
 * Express's `res.status(404).redirect('/404')` does: 302, `Location: /404`
 * and a short body. Everything else gets Nest's own answer.
 */
@Catch(NotFoundException)
export class NotFoundRedirect extends BaseExceptionFilter {
  constructor(
    private readonly settings: SandboxSettings,
    private readonly stats: SandboxStats,
    adapter: HttpServer,
  ) {
    super(adapter);
  }

  override catch(exception: NotFoundException, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    if (!this.settings.redirectNotFound || !isTasksApiPath(requestPath(req)))
      return super.catch(exception, host);
    this.stats.redirected();
    http.getResponse<Response>().status(404).redirect(NOT_FOUND_PAGE);
  }
}

/** The page a redirected client lands on: HTML, 200, while `redirectNotFound` is on. */
@Controller()
export class NotFoundPageController {
  constructor(
    @Inject(SandboxSettings) private readonly settings: SandboxSettings,
  ) {}

  @Get(NOT_FOUND_PAGE.slice(1))
  page(@Req() req: Request, @Res({ passthrough: true }) res: Response): string {
    // Switched off, the page is not there: Nest's own answer to an unknown route.
    if (!this.settings.redirectNotFound)
      throw new NotFoundException(`Cannot ${req.method} ${req.originalUrl}`);
    res.type('html');
    return PAGE;
  }
}
