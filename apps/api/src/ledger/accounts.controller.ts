import { ownerScopeOf, type AuthUser } from '@forest-ledger/access';
import { IDEMPOTENCY_HEADER } from '../http/constants';
import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { LedgerReportsService, LedgerService } from '@forest-ledger/ledger';
import type { HttpRequest, HttpResponse } from '../http/http';
import { ALL_ROLES, CurrentUser, Roles } from '../auth/auth.decorators';
import { ApiErrors } from '../http/error.dto';
import { CommandRunner } from '../http/idempotency';
import { AccountPageResponse, AccountResponse, AsOfBalanceResponse, BalanceQuery, ListAccountsQuery, OpenAccountDto, StatementQuery, StatementResponse } from './dto/ledger.dto';
import { ApiErrorCodes } from '../http/error-codes';

@ApiTags('ledger: accounts')
@Controller('v1/accounts')
@ApiErrorCodes('ledger')
export class AccountsController {
  constructor(
    private readonly ledger: LedgerService,
    private readonly reports: LedgerReportsService,
    private readonly commands: CommandRunner,
  ) {}

  @Post()
  @Roles('ADMIN')
  @ApiOperation({ summary: 'Open an account' })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: AccountResponse })
  @ApiErrors(400, 404, 409, 413)
  open(@Body() dto: OpenAccountDto, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<AccountResponse> {
    return this.commands.run(req, res, HttpStatus.CREATED, (em) => this.ledger.openAccount(em, dto));
  }

  @Get()
  @Roles(...ALL_ROLES)
  @ApiOperation({ summary: 'List accounts by owner, asset or code prefix (keyset pages by code)', description: "Scoped roles see only their own party's accounts." })
  @ApiOkResponse({ type: AccountPageResponse })
  @ApiErrors(400, 401)
  list(@Query() query: ListAccountsQuery, @CurrentUser() user: AuthUser): Promise<AccountPageResponse> {
    return this.ledger.listAccounts({ ...query, visibility: ownerScopeOf(user) });
  }

  @Get(':code')
  @Roles(...ALL_ROLES)
  @ApiOperation({ summary: 'Get an account with its current balance', description: "Another party's account is a 404 for scoped roles." })
  @ApiOkResponse({ type: AccountResponse })
  @ApiErrors(401, 404)
  get(@Param('code') code: string, @CurrentUser() user: AuthUser): Promise<AccountResponse> {
    return this.ledger.getAccount(code, undefined, ownerScopeOf(user));
  }

  @Get(':code/balance')
  @Roles(...ALL_ROLES)
  @ApiOperation({ summary: 'Balance as of an effective date' })
  @ApiOkResponse({ type: AsOfBalanceResponse })
  @ApiErrors(400, 401, 404)
  balance(@Param('code') code: string, @Query() query: BalanceQuery, @CurrentUser() user: AuthUser): Promise<AsOfBalanceResponse> {
    return this.reports.balanceAsOf(code, query.asOf, undefined, ownerScopeOf(user));
  }

  @Get(':code/statement')
  @Roles(...ALL_ROLES)
  @ApiOperation({ summary: 'Statement over an effective-date range with running balance (keyset pages)' })
  @ApiOkResponse({ type: StatementResponse })
  @ApiErrors(400, 401, 404)
  statement(@Param('code') code: string, @Query() query: StatementQuery, @CurrentUser() user: AuthUser): Promise<StatementResponse> {
    return this.reports.statement(code, query, ownerScopeOf(user));
  }

  @Post(':code/freeze')
  @Roles('ADMIN')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Freeze an account: no posting may touch it until unfrozen' })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOkResponse({ type: AccountResponse })
  @ApiErrors(400, 404, 409, 422)
  freeze(@Param('code') code: string, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<AccountResponse> {
    return this.commands.run(req, res, HttpStatus.OK, (em) => this.ledger.setFrozen(em, code, true));
  }

  @Post(':code/unfreeze')
  @Roles('ADMIN')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Unfreeze an account' })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOkResponse({ type: AccountResponse })
  @ApiErrors(400, 404, 409, 422)
  unfreeze(@Param('code') code: string, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<AccountResponse> {
    return this.commands.run(req, res, HttpStatus.OK, (em) => this.ledger.setFrozen(em, code, false));
  }

  @Post(':code/close')
  @Roles('ADMIN')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Close an account (final; only at a zero balance)' })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOkResponse({ type: AccountResponse })
  @ApiErrors(400, 404, 409, 422)
  close(@Param('code') code: string, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<AccountResponse> {
    return this.commands.run(req, res, HttpStatus.OK, (em) => this.ledger.closeAccount(em, code));
  }
}
