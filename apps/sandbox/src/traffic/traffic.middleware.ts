import { Inject, Injectable } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { SandboxSettings } from '../settings.js';
import { SandboxStats } from '../stats.js';
import { TasksService } from '../tasks/tasks.service.js';
import { answerFault, answerGarbage } from './fault-answers.js';
import { Faults } from './faults.js';
import { FAULTED_BY_CONTROLLER, routeOf, type RouteName } from './routes.js';

const bytes = (value: unknown) => Number(value) || 0;

const TASK_PATH = '/api/ai-tasks/';

function taskIdOf(path: string): string | undefined {
  try {
    return decodeURIComponent(path.slice(TASK_PATH.length));
  } catch {
    return undefined;
  }
}

/**
 * The first middleware of the app, in front of the issuer, the tasks API, the
 * embeddings and chat endpoints and the Wikidata stand-in alike: counts every
 * request per route and applies the faults in force (latency, injected
 * errors, garbage bodies; the chat and Wikidata controllers take their own
 * errors and garbage, see FAULTED_BY_CONTROLLER). Every
 * PATCH of a task is noted in its history with the status answered.
 */
@Injectable()
export class TrafficMiddleware {
  constructor(
    @Inject(Faults) private readonly faults: Faults,
    @Inject(SandboxStats) private readonly stats: SandboxStats,
    @Inject(SandboxSettings) private readonly settings: SandboxSettings,
    @Inject(TasksService) private readonly tasks: TasksService,
  ) {}

  readonly handle = (req: Request, res: Response, next: NextFunction): void => {
    const route = routeOf(req.method, req.path);
    if (!route) return next();
    const bytesIn = bytes(req.headers['content-length']);
    const writtenBefore = req.socket.bytesWritten;
    const arrivedAtMs = Date.now();
    const taskId = route === 'patch' ? taskIdOf(req.path) : undefined;
    // 'close' also fires when the client hangs up mid-answer (a client that
    // stops reading a long /pending page): such calls count, with the bytes
    // that really left, not the announced length.
    res.once('close', () => {
      this.stats.answered(
        route,
        res.statusCode,
        bytesIn,
        req.socket.bytesWritten - writtenBefore,
      );
      if (taskId !== undefined)
        this.tasks.recordPatch(
          taskId,
          (req.body as { state?: unknown } | undefined)?.state,
          res.statusCode,
          arrivedAtMs,
        );
    });
    const delay =
      this.faults.latencyFor(route) +
      (route === 'embeddings' ? this.settings.embeddingsLatencyMs : 0);
    if (delay > 0) setTimeout(() => this.proceed(route, res, next), delay);
    else this.proceed(route, res, next);
  };

  private proceed(route: RouteName, res: Response, next: NextFunction): void {
    if (FAULTED_BY_CONTROLLER.has(route)) return next();
    const fault = this.faults.takeError(route);
    if (fault) return answerFault(route, res, fault);
    const garbage = route === 'pending' ? this.faults.takeGarbage() : undefined;
    if (garbage) return answerGarbage(res, garbage);
    next();
  }
}
