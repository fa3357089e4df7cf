import { IDEMPOTENCY_HEADER } from '../http/constants';
import { DomainError } from '@forest-ledger/common';
import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AccessService, AuditService } from '@forest-ledger/access';
import type { AuthUser } from '@forest-ledger/access';
import { partiesByCodes } from '@forest-ledger/forestry';
import type { HttpRequest, HttpResponse } from '../http/http';
import { ApiErrors } from '../http/error.dto';
import { CommandRunner } from '../http/idempotency';
import { ApiHeader } from '@nestjs/swagger';
import { ALL_ROLES, CurrentUser, NoIdempotencyKey, Public, Roles } from './auth.decorators';
import {
  ApiKeyCreatedResponse,
  ApiKeyResponse,
  AuditPageResponse,
  AuditQuery,
  ChangePinDto,
  CreateApiKeyDto,
  CreatedResponse,
  CreateUserDto,
  LoginDto,
  MeResponse,
  TokenResponse,
  UserResponse,
  VillagerLoginDto,
} from './auth.dto';
import { ApiErrorCodes } from '../http/error-codes';

@ApiTags('access')
@Controller('v1')
@ApiErrorCodes('access', 'party')
export class AuthController {
  constructor(
    private readonly access: AccessService,
    private readonly audit: AuditService,
    private readonly commands: CommandRunner,
  ) {}

  @Post('auth/login')
  @Public()
  @NoIdempotencyKey()
  @ApiOperation({
    summary: 'Staff login: a short-lived access token',
    description:
      'Failed logins are limited per account and per address (429 with retryAfterSeconds and Retry-After); while Redis is unreachable they are counted per API process, and a correct login still succeeds.',
  })
  @ApiOkResponse({ type: TokenResponse })
  @ApiErrors(400, 401, 429)
  async login(@Body() dto: LoginDto, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<TokenResponse> {
    const token = await this.access.login(dto.username, dto.password, req.ip ?? 'unknown');
    res.status(HttpStatus.OK);
    return token;
  }

  @Post('auth/villager-login')
  @Public()
  @NoIdempotencyKey()
  @ApiOperation({ summary: 'Villager login with resident ID number and PIN' })
  @ApiOkResponse({ type: TokenResponse })
  @ApiErrors(400, 401, 429)
  async villagerLogin(@Body() dto: VillagerLoginDto, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<TokenResponse> {
    const token = await this.access.villagerLogin(dto.idNumber, dto.pin, req.ip ?? 'unknown');
    res.status(HttpStatus.OK);
    return token;
  }

  @Post('auth/pin')
  @Roles('VILLAGER')
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: 'A villager changes their own PIN' })
  @ApiOkResponse({ type: MeResponse })
  @ApiErrors(400, 401, 403, 422, 429)
  changePin(@Body() dto: ChangePinDto, @CurrentUser() user: AuthUser, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<MeResponse> {
    return this.commands.run(req, res, HttpStatus.OK, async () => {
      await this.access.changePin(user, dto.currentPin, dto.newPin);
      return this.me(user);
    });
  }

  @Get('me')
  @Roles(...ALL_ROLES)
  @ApiOperation({ summary: 'Who am I' })
  @ApiOkResponse({ type: MeResponse })
  @ApiErrors(401)
  me(@CurrentUser() user: AuthUser): MeResponse {
    return { userId: user.userId, role: user.role, partyCode: user.partyCode, displayName: user.displayName };
  }

  @Post('users')
  @Roles('ADMIN')
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: 'Create a staff user (ADMIN, FARM_OPERATOR, APPROVER, BUYER, AUDITOR)' })
  @ApiCreatedResponse({ type: CreatedResponse })
  @ApiErrors(400, 401, 403, 404, 409)
  createUser(@Body() dto: CreateUserDto, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<CreatedResponse> {
    return this.commands.run(req, res, HttpStatus.CREATED, async (em) => {
      let partyId: string | null = null;
      if (dto.partyCode !== undefined) {
        const party = (await partiesByCodes(em, [dto.partyCode])).get(dto.partyCode);
        if (!party) throw new DomainError('not-found', 'UNKNOWN_PARTY', `no party with code ${JSON.stringify(dto.partyCode)}`, 'partyCode');
        partyId = party.id;
      }
      return this.access.createUser(em, { username: dto.username, displayName: dto.displayName, role: dto.role, password: dto.password, partyId });
    });
  }

  @Get('users')
  @Roles('ADMIN', 'AUDITOR')
  @ApiOperation({ summary: 'List users (staff and villagers) with their role, party and whether they are active; never credentials' })
  @ApiOkResponse({ type: [UserResponse] })
  @ApiErrors(401, 403)
  listUsers(): Promise<UserResponse[]> {
    return this.access.listUsers();
  }

  @Post('users/:id/deactivate')
  @Roles('ADMIN')
  @HttpCode(HttpStatus.OK)
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({
    summary: 'Deactivate a user: no more logins, their API keys revoked, their tokens refused within seconds',
    description: '422 CANNOT_DEACTIVATE_SELF for your own login; 422 LAST_ADMIN for the last active ADMIN; 404 UNKNOWN_USER.',
  })
  @ApiOkResponse({ type: UserResponse })
  @ApiErrors(400, 401, 403, 404, 409, 422)
  deactivateUser(@Param('id') id: string, @CurrentUser() user: AuthUser, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<UserResponse> {
    return this.commands.run(req, res, HttpStatus.OK, (em) => this.access.deactivateUser(em, user, id));
  }

  @Post('users/:id/reactivate')
  @Roles('ADMIN')
  @HttpCode(HttpStatus.OK)
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: 'Let a deactivated user log in again (revoked API keys stay revoked)' })
  @ApiOkResponse({ type: UserResponse })
  @ApiErrors(400, 401, 403, 404, 409)
  reactivateUser(@Param('id') id: string, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<UserResponse> {
    return this.commands.run(req, res, HttpStatus.OK, (em) => this.access.reactivateUser(em, id));
  }

  @Post('api-keys')
  @Roles('ADMIN')
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: 'Create an API key for a user; the key is shown once' })
  @ApiCreatedResponse({ type: ApiKeyCreatedResponse })
  @ApiErrors(400, 401, 403, 409)
  createApiKey(@Body() dto: CreateApiKeyDto, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<ApiKeyCreatedResponse> {
    return this.commands.run(req, res, HttpStatus.CREATED, (em) => this.access.createApiKey(em, dto.userId, dto.name));
  }

  @Get('api-keys')
  @Roles('ADMIN', 'AUDITOR')
  @ApiOperation({ summary: 'List API keys (never their secrets)' })
  @ApiOkResponse({ type: [ApiKeyResponse] })
  @ApiErrors(401, 403)
  listApiKeys(): Promise<ApiKeyResponse[]> {
    return this.access.listApiKeys();
  }

  @Post('api-keys/:id/revoke')
  @Roles('ADMIN')
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: 'Revoke an API key' })
  @ApiOkResponse({ type: CreatedResponse })
  @ApiErrors(400, 401, 403, 404, 409)
  revokeApiKey(@Param('id') id: string, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<CreatedResponse> {
    return this.commands.run(req, res, HttpStatus.OK, async (em) => {
      await this.access.revokeApiKey(em, id);
      return { id };
    });
  }

  @Get('audit-log')
  @Roles('ADMIN', 'AUDITOR')
  @ApiOperation({ summary: 'The audit trail of state-changing requests, newest first' })
  @ApiOkResponse({ type: AuditPageResponse })
  @ApiErrors(400, 401, 403)
  auditLog(@Query() query: AuditQuery): Promise<AuditPageResponse> {
    return this.audit.list(query);
  }
}
