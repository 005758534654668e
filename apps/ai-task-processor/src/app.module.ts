import { type DynamicModule, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { ObservabilityModule } from '@app/observability';
import { TasksModule } from '@app/tasks';

/**
 * The service: library modules composed, nothing else. The configuration
 * module is built by the caller so that bad settings stop start-up before
 * any other module exists. Global infrastructure (the scheduler the task
 * lifecycle's timers are registered with) is set up here, once, not by a
 * library.
 */
@Module({})
export class AppModule {
  static register(config: DynamicModule): DynamicModule {
    return {
      module: AppModule,
      imports: [
        config,
        ScheduleModule.forRoot(),
        ObservabilityModule,
        TasksModule,
      ],
    };
  }
}
