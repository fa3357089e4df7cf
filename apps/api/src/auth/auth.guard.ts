import { DomainError } from '@forest-ledger/common';
import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AccessService, Role } from '@forest-ledger/access';
import { headerOf } from '../http/http';
import { AuthenticatedRequest, PUBLIC_KEY, ROLES_KEY } from './auth.decorators';

/**
 * Authenticates every request (Bearer access token or X-Api-Key) and checks the route's declared
 * roles. A route that declares nothing is refused: access is opt-in, never by omission.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly access: AccessService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    if (!roles) throw new DomainError('forbidden', 'FORBIDDEN', 'this route declares no roles, so nobody may call it');

    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const bearer = /^Bearer (\S+)$/i.exec(headerOf(req, 'authorization') ?? '')?.[1];
    const apiKey = headerOf(req, 'x-api-key');
    if (!bearer && !apiKey) throw new DomainError('unauthenticated', 'UNAUTHENTICATED', 'send an access token (Authorization: Bearer …) or an API key (X-Api-Key)');
    req.user = bearer ? await this.access.authenticateToken(bearer) : await this.access.authenticateApiKey(apiKey!);
    if (!roles.includes(req.user.role)) throw new DomainError('forbidden', 'FORBIDDEN', `role ${req.user.role} may not call this route (allowed: ${roles.join(', ')})`);
    return true;
  }
}
