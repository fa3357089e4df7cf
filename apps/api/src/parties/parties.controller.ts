import { ownerScopeOf, type AuthUser } from '@forest-ledger/access';
import { IDEMPOTENCY_HEADER } from '../http/constants';
import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { PartiesService, PartyError, PARTY_POLICIES } from '@forest-ledger/forestry';
import { inTransaction } from '@forest-ledger/platform';
import type { HttpRequest, HttpResponse } from '../http/http';
import { DataSource } from 'typeorm';
import { ALL_ROLES, CurrentUser, NoIdempotencyKey, Roles, RolesOf } from '../auth/auth.decorators';
import { ApiErrors } from '../http/error.dto';
import { CommandRunner } from '../http/idempotency';
import {
  ApprovalResponse,
  CreatePartyDto,
  DeactivationRequestDto,
  PartyPageResponse,
  PartyQuery,
  PartyResponse,
  RevealIdDto,
  SetMobileDto,
  RevealIdResponse,
  RosterImportDto,
  RosterImportResponse,
  VillagerPinDto,
  VillagerPinResponse,
} from './dto/parties.dto';
import { ApiErrorCodes } from '../http/error-codes';

@ApiTags('parties')
@Controller('v1/parties')
@ApiErrorCodes('party', 'tableRead', 'access', 'ledger')
export class PartiesController {
  constructor(
    private readonly parties: PartiesService,
    private readonly commands: CommandRunner,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  @Post()
  @Roles('ADMIN')
  @ApiOperation({
    summary: 'Register a party and open its CNY wallet (party:<code>:wallet:CNY, credit-normal, no overdraft) in one transaction',
    description:
      'ID numbers are validated (GB 11643 / GB 32100 check characters), stored as HMAC + ciphertext and returned masked. 409 PARTY_EXISTS names the field (code or idNumber).',
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: PartyResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  create(@Body() dto: CreatePartyDto, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<PartyResponse> {
    return this.commands.run(req, res, HttpStatus.CREATED, (em) => this.parties.create(em, dto));
  }

  @Get()
  @Roles(...ALL_ROLES)
  @ApiOperation({ summary: 'List parties (keyset pages by code); FARM_OPERATOR, BUYER and VILLAGER see only their own party' })
  @ApiOkResponse({ type: PartyPageResponse })
  @ApiErrors(400, 401, 403)
  list(@Query() query: PartyQuery, @CurrentUser() user: AuthUser): Promise<PartyPageResponse> {
    return this.parties.list(query, ownerScopeOf(user));
  }

  @Get(':code')
  @Roles(...ALL_ROLES)
  @ApiOperation({ summary: "Get a party; another party than a scoped caller's own is a 404, like an unknown code" })
  @ApiOkResponse({ type: PartyResponse })
  @ApiErrors(401, 403, 404)
  get(@Param('code') code: string, @CurrentUser() user: AuthUser): Promise<PartyResponse> {
    return this.parties.get(code, ownerScopeOf(user));
  }

  @Post(':code/reveal-id')
  @RolesOf(PARTY_POLICIES.revealId)
  @NoIdempotencyKey()
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'The full ID number, with a reason; every call writes a PII access log row',
    description:
      'Needs no Idempotency-Key: the answer is never stored (an idempotency record would keep the clear ID number in the database), and each call is a disclosure of its own that is logged.',
  })
  @ApiOkResponse({ type: RevealIdResponse })
  @ApiErrors(400, 401, 403, 404, 422)
  reveal(@Param('code') code: string, @Body() dto: RevealIdDto, @CurrentUser() user: AuthUser): Promise<RevealIdResponse> {
    return inTransaction(this.dataSource, (em) => this.parties.revealId(em, code, user, dto.reason));
  }

  @Post(':code/mobile')
  @Roles('ADMIN')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: "Set or remove (null) a party's mobile number for the villagers' SMS; sealed at rest like the ID number, answered masked" })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOkResponse({ type: PartyResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  setMobile(@Param('code') code: string, @Body() dto: SetMobileDto, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<PartyResponse> {
    return this.commands.run(req, res, HttpStatus.OK, (em) => this.parties.setMobile(em, code, dto.mobile));
  }

  @Post(':code/deactivation-requests')
  @Roles('ADMIN')
  @ApiOperation({ summary: "Ask for a party's deactivation; an APPROVER other than the requester decides (POST /v1/approvals/:id/approve)" })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: ApprovalResponse })
  @ApiErrors(400, 401, 403, 404, 409, 422)
  requestDeactivation(
    @Param('code') code: string,
    @Body() dto: DeactivationRequestDto,
    @CurrentUser() user: AuthUser,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) res: HttpResponse,
  ): Promise<ApprovalResponse> {
    return this.commands.run(req, res, HttpStatus.CREATED, (em) => this.parties.requestDeactivation(em, code, user, dto.reason));
  }

  @Post(':code/roster')
  @Roles('ADMIN')
  @ApiOperation({
    summary: "Import a collective's member roster (CSV UTF-8 / GB18030 or .xlsx): households H-<户号> and villagers V-nnnn, each with a wallet",
    description:
      'JSON body `{ fileName, contentBase64 }` (no multipart). The body limit is 1 MB, so the file may be up to about 750 KB. Columns: 户号, 户主姓名, 成员姓名, 身份证号, 与户主关系, 联系电话 (optional). Any row error: 422 IMPORT_REJECTED with `details.errors` = [{ row, column, message }] and nothing is written.',
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: RosterImportResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  importRoster(@Param('code') code: string, @Body() dto: RosterImportDto, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<RosterImportResponse> {
    return this.commands.run(req, res, HttpStatus.CREATED, async (em) => {
      const outcome = await this.parties.importRoster(em, code, Buffer.from(dto.contentBase64, 'base64'), dto.fileName);
      // Thrown, not returned, so the command's transaction rolls back: nothing is half-imported.
      if (!outcome.ok) {
        throw new PartyError('IMPORT_REJECTED', `the roster has ${outcome.errors.length} error(s); nothing was imported`, 'file', { errors: outcome.errors });
      }
      return { collectiveCode: outcome.collectiveCode, households: outcome.households, villagers: outcome.villagers };
    });
  }

  @Post(':code/villager-pin')
  @Roles('ADMIN')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: "Set a villager's 6-digit PIN, creating their VILLAGER login if needed (they sign in with ID number + PIN)" })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOkResponse({ type: VillagerPinResponse })
  @ApiErrors(400, 401, 403, 404, 409, 422)
  setPin(@Param('code') code: string, @Body() dto: VillagerPinDto, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<VillagerPinResponse> {
    return this.commands.run(req, res, HttpStatus.OK, async (em) => ({ partyCode: code, ...(await this.parties.setVillagerPin(em, code, dto.pin)) }));
  }
}
