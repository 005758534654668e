import {
  type CanActivate,
  type ExecutionContext,
  Inject,
  Injectable,
} from '@nestjs/common';
import type { Request } from 'express';
import { TokenIntrospector } from './token-introspector.js';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * The reference application's guard: a missing, unknown, expired or revoked
 * token is refused, and Nest answers a refusing guard with 403.
 */
@Injectable()
export class BearerTokenGuard implements CanActivate {
  constructor(
    @Inject(TokenIntrospector) private readonly introspector: TokenIntrospector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<Request>();
    const token = BEARER.exec(request.headers.authorization ?? '')?.[1];
    if (!token) return false;
    try {
      return await this.introspector.isActive(token);
    } catch {
      return false;
    }
  }
}
