import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { ServiceConfig } from './service-config.js';

/**
 * Logs `ServiceConfig.warnings` once, through the application's logger.
 * The configuration is read before any logger exists, so it only collects
 * them; by bootstrap the service's logger is in place.
 */
@Injectable()
export class ConfigWarnings implements OnApplicationBootstrap {
  private readonly logger = new Logger(ConfigWarnings.name);

  constructor(private readonly config: ServiceConfig) {}

  onApplicationBootstrap(): void {
    for (const warning of this.config.warnings) this.logger.warn(warning);
  }
}
