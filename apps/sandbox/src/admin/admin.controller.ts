import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import type { ChatRequestRecord } from '../chat/chat-request-log.js';
import type { ProviderView } from '../providers/providers.js';
import type { SandboxSwitches } from '../settings.js';
import { isTaskState, type TaskDocument } from '../tasks/task.js';
import type { FaultsView } from '../traffic/faults.js';
import {
  parseCallbackFailure,
  parseChatFault,
  parseErrorFault,
  parseGarbageFault,
  parseInsert,
  parseLagFault,
  parseLatencyFault,
  parseProviderChanges,
  parseProviderLimits,
  parseSeed,
  parseSwitches,
} from './admin-bodies.js';
import {
  SandboxAdmin,
  type StatsSnapshot,
  type TaskDraft,
  type TaskTiming,
  type TaskView,
} from './sandbox-admin.js';

/** `/admin/*`: the sandbox's controls for processes that cannot call it in process. No token needed. */
@Controller('admin')
export class AdminController {
  constructor(@Inject(SandboxAdmin) private readonly admin: SandboxAdmin) {}

  @Get('stats')
  stats(): StatsSnapshot {
    return this.admin.stats();
  }

  @Get('tasks')
  tasks(@Query('state') state?: unknown): TaskView[] {
    if (state !== undefined && !isTaskState(state))
      throw new BadRequestException(['state is not a task state']);
    return this.admin.list(state);
  }

  @Get('tasks/:id')
  task(@Param('id') id: string): TaskView {
    const task = this.admin.task(id);
    if (!task) throw new NotFoundException(`task ${id} not found`);
    return task;
  }

  @Delete('tasks/:id')
  deleteTask(@Param('id') id: string): { deleted: boolean } {
    return { deleted: this.admin.deleteTask(id) };
  }

  @Post('tasks/:id/callback-failures')
  @HttpCode(204)
  failCallbacks(@Param('id') id: string, @Body() body: unknown): void {
    this.admin.failCallbacks(id, parseCallbackFailure(body));
  }

  @Post('tasks')
  insert(@Body() body: unknown): TaskDocument[] {
    const { tasks, generateIds } = parseInsert(body);
    return this.admin.insertTasks(tasks, generateIds);
  }

  @Post('create-task')
  createTask(@Body() body: unknown): TaskDocument {
    return this.admin.createTask((body ?? {}) as TaskDraft);
  }

  @Post('seed')
  seed(@Body() body: unknown): { created: number; ids: string[] } {
    const { count, ...options } = parseSeed(body);
    const ids = this.admin.seed(count, options).map((task) => task._id);
    return { created: ids.length, ids };
  }

  @Get('timings')
  timings(): TaskTiming[] {
    return this.admin.timings();
  }

  @Get('faults')
  faults(): FaultsView {
    return this.admin.activeFaults();
  }

  @Post('faults/latency')
  latency(@Body() body: unknown): FaultsView {
    return this.admin.addLatency(parseLatencyFault(body));
  }

  @Post('faults/error')
  error(@Body() body: unknown): FaultsView {
    return this.admin.addError(parseErrorFault(body));
  }

  @Post('faults/garbage')
  garbage(@Body() body: unknown): FaultsView {
    return this.admin.addGarbage(parseGarbageFault(body));
  }

  @Post('faults/chat')
  chatFault(@Body() body: unknown): FaultsView {
    return this.admin.addChatFault(parseChatFault(body));
  }

  @Post('faults/wikidata-lag')
  lag(@Body() body: unknown): FaultsView {
    return this.admin.addLag(parseLagFault(body));
  }

  @Get('chat/requests')
  chatRequests(): ChatRequestRecord[] {
    return this.admin.chatRequests();
  }

  @Delete('faults')
  @HttpCode(204)
  resetFaults(): void {
    this.admin.resetFaults();
  }

  @Post('tokens/revoke')
  @HttpCode(200)
  revokeTokens(): { revoked: number } {
    return { revoked: this.admin.revokeAllTokens() };
  }

  @Get('settings')
  switches(): SandboxSwitches {
    return this.admin.switches();
  }

  @Patch('settings')
  updateSwitches(@Body() body: unknown): SandboxSwitches {
    return this.admin.updateSwitches(parseSwitches(body));
  }

  @Get('providers')
  providers(): Record<string, ProviderView> {
    return this.admin.providers();
  }

  @Get('providers/:name')
  provider(@Param('name') name: string): ProviderView {
    return this.admin.provider(name);
  }

  @Post('providers/:name/limits')
  @HttpCode(200)
  limitProvider(
    @Param('name') name: string,
    @Body() body: unknown,
  ): ProviderView {
    return this.admin.configureProvider(name, parseProviderLimits(body));
  }

  @Patch('providers/:name')
  configureProvider(
    @Param('name') name: string,
    @Body() body: unknown,
  ): ProviderView {
    return this.admin.configureProvider(name, parseProviderChanges(body));
  }

  @Post('reset')
  @HttpCode(204)
  reset(): void {
    this.admin.reset();
  }
}
