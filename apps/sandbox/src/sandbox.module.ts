import { type DynamicModule, Module } from '@nestjs/common';
import { AdminController } from './admin/admin.controller.js';
import { SandboxAdmin } from './admin/sandbox-admin.js';
import { ChatController } from './chat/chat.controller.js';
import { ChatService } from './chat/chat.service.js';
import { ChatRequestLog } from './chat/chat-request-log.js';
import { EmbeddingsController } from './embeddings/embeddings.controller.js';
import { EmbeddingsService } from './embeddings/embeddings.service.js';
import { BearerTokenGuard } from './issuer/bearer-token.guard.js';
import { TokenIntrospector } from './issuer/token-introspector.js';
import { TokenIssuer } from './issuer/token-issuer.js';
import { TokenStore } from './issuer/token-store.js';
import { Providers } from './providers/providers.js';
import { SandboxSettings } from './settings.js';
import { SandboxStats } from './stats.js';
import { CallbackDispatcher } from './tasks/callback-dispatcher.js';
import { NotFoundPageController } from './tasks/not-found.js';
import { ObjectIdGenerator } from './tasks/task.js';
import {
  InMemoryTaskRepository,
  TaskRepository,
} from './tasks/task-repository.js';
import { TaskSeeder } from './tasks/task-seeder.js';
import { TasksController } from './tasks/tasks.controller.js';
import { TasksService } from './tasks/tasks.service.js';
import { Faults } from './traffic/faults.js';
import { JsonBodies } from './traffic/json-bodies.js';
import { Throttle } from './traffic/throttle.js';
import { TrafficMiddleware } from './traffic/traffic.middleware.js';
import { WikidataController } from './wikidata/wikidata.controller.js';
import { WikidataService } from './wikidata/wikidata.service.js';

/** The whole sandbox: tasks API, token issuer, embeddings and chat endpoints, Wikidata, traffic control and admin. */
@Module({})
export class SandboxModule {
  static register(settings: SandboxSettings): DynamicModule {
    return {
      module: SandboxModule,
      controllers: [
        TasksController,
        EmbeddingsController,
        ChatController,
        WikidataController,
        AdminController,
        NotFoundPageController,
      ],
      providers: [
        { provide: SandboxSettings, useValue: settings },
        { provide: TaskRepository, useClass: InMemoryTaskRepository },
        ObjectIdGenerator,
        SandboxStats,
        TasksService,
        CallbackDispatcher,
        TaskSeeder,
        TokenStore,
        TokenIssuer,
        TokenIntrospector,
        BearerTokenGuard,
        EmbeddingsService,
        Providers,
        ChatService,
        ChatRequestLog,
        WikidataService,
        Faults,
        TrafficMiddleware,
        JsonBodies,
        Throttle,
        SandboxAdmin,
      ],
    };
  }
}
