import { setTimeout as delay } from 'node:timers/promises';
import {
  BadRequestException,
  Body,
  Controller,
  Get,
  Header,
  Headers,
  Inject,
  Param,
  Patch,
  Post,
  Query,
  Res,
  UseGuards,
} from '@nestjs/common';
import type { Response } from 'express';
import { BearerTokenGuard } from '../issuer/bearer-token.guard.js';
import { SandboxSettings } from '../settings.js';
import { faultException } from '../traffic/fault-answers.js';
import { Faults } from '../traffic/faults.js';
import type { TransitionPoint } from '../traffic/routes.js';
import {
  isTaskState,
  TASK_STATES,
  type TaskDocument,
  type TaskState,
} from './task.js';
import { parseNewTask, parseTaskUpdate } from './task-bodies.js';
import { TasksService } from './tasks.service.js';

const JSON_TYPE = 'application/json; charset=utf-8';

const TRANSITION_POINTS: Record<TaskState, TransitionPoint> = {
  in_progress: 'claim',
  succeeded: 'complete',
  failed: 'complete',
  pending: 'release',
};

/** docs/contract.md §1, behind the reference application's guard. */
@Controller('api/ai-tasks')
@UseGuards(BearerTokenGuard)
export class TasksController {
  constructor(
    @Inject(TasksService) private readonly tasks: TasksService,
    @Inject(SandboxSettings) private readonly settings: SandboxSettings,
    @Inject(Faults) private readonly faults: Faults,
  ) {}

  @Get('pending')
  @Header('Content-Type', JSON_TYPE)
  pending(@Query('limit') limit?: unknown): string {
    if (!this.settings.honourLimit || limit === undefined)
      return this.tasks.pendingJson(undefined);
    if (typeof limit !== 'string' || !/^[1-9]\d*$/.test(limit))
      throw new BadRequestException(['limit must be a positive integer']);
    return this.tasks.pendingJson(Number(limit));
  }

  @Get()
  @Header('Content-Type', JSON_TYPE)
  list(@Query('state') state?: unknown): string {
    if (state !== undefined && !isTaskState(state))
      throw new BadRequestException([
        `state must be one of the following values: ${TASK_STATES.join(', ')}`,
      ]);
    return this.tasks.listJson(state);
  }

  @Patch(':id')
  async update(
    @Param('id') id: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
    @Headers('content-length') length?: string,
  ): Promise<TaskDocument> {
    const change = parseTaskUpdate(body, Number(length ?? Infinity));
    const point = TRANSITION_POINTS[change.state];
    const latency = this.faults.latencyFor(point);
    if (latency > 0) await delay(latency);
    const fault = this.faults.takeError(point);
    if (fault) throw faultException(point, res, fault);
    return this.tasks.update(id, change);
  }

  @Post()
  create(@Body() body: unknown): TaskDocument {
    return this.tasks.create(parseNewTask(body));
  }
}
