import { ownPartyOrNotFound, type AuthUser } from '@forest-ledger/access';
import { IDEMPOTENCY_HEADER, XLSX_CONTENT_TYPE } from '../http/constants';
import { DomainError } from '@forest-ledger/common';
import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query, Req, Res, StreamableFile } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { BankCardsService, businessToday, DividendDeclarationsService, PayoutsService } from '@forest-ledger/forestry';
import type { HttpRequest, HttpResponse } from '../http/http';
import { ALL_ROLES, CurrentUser, Roles, STAFF_READERS } from '../auth/auth.decorators';
import { ApiErrors } from '../http/error.dto';
import { CommandRunner } from '../http/idempotency';
import { contentDisposition } from '../tickets/content-disposition';
import {
  BankCardDto,
  BankFileQuery,
  BankCardResponse,
  ConfirmBatchDto,
  CreateBatchResponse,
  FailLineDto,
  PartyDividendResponse,
  PayoutBatchResponse,
  PayoutLineResponse,
  PayoutScopeDto,
  UnclaimedQuery,
  UnclaimedResponse,
} from './dto/dividends.dto';
import { ApiErrorCodes } from '../http/error-codes';

/** A holder's dividends, bank cards, payout batches with their bank files, and the unclaimed report. */
@ApiTags('分红 (dividends)')
@Controller('v1')
@ApiErrorCodes('dividend', 'party', 'ledger')
export class PayoutsController {
  constructor(
    private readonly declarations: DividendDeclarationsService,
    private readonly payouts: PayoutsService,
    private readonly bankCards: BankCardsService,
    private readonly commands: CommandRunner,
  ) {}

  @Get('parties/:code/dividends')
  @Roles(...ALL_ROLES)
  @ApiOperation({
    summary: 'Every dividend of a holder, newest first: project, series, record and payment dates, units, amount per unit, amount, paid',
    description: "A VILLAGER or BUYER sees only its own party (another is a 404, like an unknown party); staff see any. A FARM_OPERATOR sees its own farm's.",
  })
  @ApiOkResponse({ type: [PartyDividendResponse] })
  @ApiErrors(401, 403, 404)
  dividendsOf(@Param('code') code: string, @CurrentUser() user: AuthUser): Promise<PartyDividendResponse[]> {
    ownPartyOrNotFound(user, code, () => new DomainError('not-found', 'UNKNOWN_PARTY', `no party ${JSON.stringify(code)}`, 'code'));
    return this.declarations.dividendsOf(code);
  }

  @Post('parties/:code/bank-card')
  @Roles('ADMIN')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: "Record (or replace) a party's bank card for payouts; the number is sealed at rest, screens see a masked copy" })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOkResponse({ type: BankCardResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413)
  bankCard(@Param('code') code: string, @Body() dto: BankCardDto, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<BankCardResponse> {
    return this.commands.run(req, res, HttpStatus.OK, (em) => this.bankCards.setBankCard(em, code, dto));
  }

  @Post('payout-batches')
  @Roles('ADMIN')
  @ApiOperation({
    summary: 'Create a payout batch: every wallet with a positive balance in a project, village or township, with a bank card',
    description: 'Parties owed money without a card are listed under withoutCard and left out. 422 NOTHING_TO_PAY when no wallet qualifies.',
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: CreateBatchResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  create(@Body() dto: PayoutScopeDto, @CurrentUser() user: AuthUser, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<CreateBatchResponse> {
    return this.commands.run(req, res, HttpStatus.CREATED, (em) => this.payouts.createBatch(em, { userId: user.userId, role: user.role }, dto));
  }

  @Get('payout-batches/:id')
  @Roles(...STAFF_READERS)
  @ApiOperation({ summary: 'A payout batch with its lines (name, masked ID and card, amount, state)' })
  @ApiOkResponse({ type: PayoutBatchResponse })
  @ApiErrors(401, 403, 404)
  get(@Param('id') id: string): Promise<PayoutBatchResponse> {
    return this.payouts.get(id);
  }

  @Get('payout-batches/:id/bank-file.csv')
  @Roles('ADMIN')
  @ApiProduces('text/csv')
  @ApiOperation({
    summary: 'The bank payment file as CSV (name, masked ID, full bank card number, amount); ?layout=spreadsheet for Excel/WPS (cards as ="…" text, a 合计 line)',
  })
  @ApiOkResponse({ description: 'text/csv; charset=utf-8', schema: { type: 'string' } })
  @ApiErrors(400, 401, 403, 404)
  async csv(@Param('id') id: string, @Query() query: BankFileQuery, @Res({ passthrough: true }) res: HttpResponse): Promise<StreamableFile> {
    const bankFile = await this.payouts.bankFile(id);
    const file = { ...bankFile, csv: query.layout === 'spreadsheet' ? bankFile.spreadsheetCsv : bankFile.csv };
    res.header('Content-Type', 'text/csv; charset=utf-8');
    res.header('Content-Disposition', contentDisposition('attachment', `${file.fileName}.csv`, `payout-batch-${id}.csv`));
    return new StreamableFile(file.csv, { length: file.csv.length });
  }

  @Get('payout-batches/:id/bank-file.xlsx')
  @Roles('ADMIN')
  @ApiProduces(XLSX_CONTENT_TYPE)
  @ApiOperation({ summary: 'The bank payment file as an Excel workbook (name, masked ID, full bank card number, amount)' })
  @ApiOkResponse({ description: 'The workbook', schema: { type: 'string', format: 'binary' } })
  @ApiErrors(401, 403, 404)
  async xlsx(@Param('id') id: string, @Res({ passthrough: true }) res: HttpResponse): Promise<StreamableFile> {
    const file = await this.payouts.bankFile(id);
    res.header('Content-Type', XLSX_CONTENT_TYPE);
    res.header('Content-Disposition', contentDisposition('attachment', `${file.fileName}.xlsx`, `payout-batch-${id}.xlsx`));
    return new StreamableFile(file.xlsx, { length: file.xlsx.length });
  }

  @Post('payout-batches/:id/confirm')
  @Roles('ADMIN')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Confirm the batch paid by the bank: one ledger entry from the wallets to the bank account; lines listed under failed stay in the wallets',
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOkResponse({ type: PayoutBatchResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  confirm(@Param('id') id: string, @Body() dto: ConfirmBatchDto, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<PayoutBatchResponse> {
    return this.commands.run(req, res, HttpStatus.OK, (em) => this.payouts.confirmPaid(em, id, dto));
  }

  @Post('payout-lines/:id/fail')
  @Roles('ADMIN')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: "A paid line the bank returned: its amount goes back to the holder's wallet (one ledger entry)" })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOkResponse({ type: PayoutLineResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  failLine(@Param('id') id: string, @Body() dto: FailLineDto, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<PayoutLineResponse> {
    return this.commands.run(req, res, HttpStatus.OK, (em) => this.payouts.failLine(em, id, dto));
  }

  @Get('reports/unclaimed-dividends')
  @Roles(...STAFF_READERS)
  @ApiOperation({ summary: 'Amounts still owed in wallets, by age of the oldest credit (first in, first paid out); optionally in one project, village or township' })
  @ApiOkResponse({ type: UnclaimedResponse })
  @ApiErrors(400, 401, 403)
  unclaimed(@Query() query: UnclaimedQuery): Promise<UnclaimedResponse> {
    if ((query.scope === undefined) !== (query.code === undefined)) {
      const field = query.scope === undefined ? 'scope' : 'code';
      throw new DomainError('invalid', 'VALIDATION_FAILED', 'scope and code go together', field);
    }
    const scope = query.scope !== undefined && query.code !== undefined ? { scope: query.scope, code: query.code } : null;
    return this.payouts.unclaimed(scope, query.asOf ?? businessToday());
  }
}
