import { NestFactory } from '@nestjs/core';
import { SandboxModule } from './sandbox.module.js';

async function bootstrap() {
  const app = await NestFactory.create(SandboxModule);
  await app.listen(process.env.port ?? 3000);
}
await bootstrap();
