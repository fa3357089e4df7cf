import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { LedgerService } from '@forest-ledger/ledger';
import type { Request, Response } from 'express';
import { ApiErrors } from '../http/error.dto';
import { CommandRunner } from '../http/idempotency';
import { IDEMPOTENCY_HEADER } from './assets.controller';
import { AccountPageResponse, AccountResponse, AsOfBalanceResponse, BalanceQuery, ListAccountsQuery, OpenAccountDto, StatementQuery, StatementResponse } from './dto/ledger.dto';

@ApiTags('ledger: accounts')
@Controller('v1/accounts')
export class AccountsController {
  constructor(
    private readonly ledger: LedgerService,
    private readonly commands: CommandRunner,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Open an account' })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: AccountResponse })
  @ApiErrors(400, 404, 409, 413)
  open(@Body() dto: OpenAccountDto, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<AccountResponse> {
    return this.commands.run(req, res, HttpStatus.CREATED, (em) => this.ledger.openAccount(em, dto));
  }

  @Get()
  @ApiOperation({ summary: 'List accounts by owner, asset or code prefix (keyset pages by code)' })
  @ApiOkResponse({ type: AccountPageResponse })
  @ApiErrors(400)
  list(@Query() query: ListAccountsQuery): Promise<AccountPageResponse> {
    return this.ledger.listAccounts(query);
  }

  @Get(':code')
  @ApiOperation({ summary: 'Get an account with its current balance' })
  @ApiOkResponse({ type: AccountResponse })
  @ApiErrors(404)
  get(@Param('code') code: string): Promise<AccountResponse> {
    return this.ledger.getAccount(code);
  }

  @Get(':code/balance')
  @ApiOperation({ summary: 'Balance as of an effective date' })
  @ApiOkResponse({ type: AsOfBalanceResponse })
  @ApiErrors(400, 404)
  balance(@Param('code') code: string, @Query() query: BalanceQuery): Promise<AsOfBalanceResponse> {
    return this.ledger.balanceAsOf(code, query.asOf);
  }

  @Get(':code/statement')
  @ApiOperation({ summary: 'Statement over an effective-date range with running balance (keyset pages)' })
  @ApiOkResponse({ type: StatementResponse })
  @ApiErrors(400, 404)
  statement(@Param('code') code: string, @Query() query: StatementQuery): Promise<StatementResponse> {
    return this.ledger.statement(code, query);
  }

  @Post(':code/freeze')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Freeze an account: no posting may touch it until unfrozen' })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOkResponse({ type: AccountResponse })
  @ApiErrors(400, 404, 409, 422)
  freeze(@Param('code') code: string, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<AccountResponse> {
    return this.commands.run(req, res, HttpStatus.OK, (em) => this.ledger.setFrozen(em, code, true));
  }

  @Post(':code/unfreeze')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Unfreeze an account' })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOkResponse({ type: AccountResponse })
  @ApiErrors(400, 404, 409, 422)
  unfreeze(@Param('code') code: string, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<AccountResponse> {
    return this.commands.run(req, res, HttpStatus.OK, (em) => this.ledger.setFrozen(em, code, false));
  }

  @Post(':code/close')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Close an account (final; only at a zero balance)' })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOkResponse({ type: AccountResponse })
  @ApiErrors(400, 404, 409, 422)
  close(@Param('code') code: string, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<AccountResponse> {
    return this.commands.run(req, res, HttpStatus.OK, (em) => this.ledger.closeAccount(em, code));
  }
}
