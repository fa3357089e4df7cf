import { IDEMPOTENCY_HEADER } from '../http/constants';
import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { businessToday, SubsidyClaimsService, SubsidyClawbacksService, TransferContractsService } from '@forest-ledger/forestry';
import type { HttpRequest, HttpResponse } from '../http/http';
import { Roles, STAFF_READERS } from '../auth/auth.decorators';
import { ApiErrors } from '../http/error.dto';
import { CommandRunner } from '../http/idempotency';
import {
  ActivateContractDto,
  ClaimResponse,
  ContractCertificateDto,
  ContractQuery,
  ContractResponse,
  CreateContractDto,
  EndContractDto,
  TerminateContractDto,
  TerminationResponse,
} from './dto/subsidies.dto';
import { ApiErrorCodes } from '../http/error-codes';

/** At most this many contracts in one listing. */
export const MAX_CONTRACTS_LISTED = 200;

/**
 * Transfer contracts (林权流转合同, issue 7): registration, activation, the operating-rights
 * certificate, ending on schedule and early termination with clawback. Reads are for staff: the
 * library has no party scope for contracts yet (a villager or farm operator sees none).
 */
@ApiTags('流转奖补 (transfer subsidies)')
@Controller('v1/transfer-contracts')
@ApiErrorCodes('subsidy', 'party', 'parcel', 'ledger')
export class TransferContractsController {
  constructor(
    private readonly contracts: TransferContractsService,
    private readonly subsidyClaims: SubsidyClaimsService,
    private readonly clawbacks: SubsidyClawbacksService,
    private readonly commands: CommandRunner,
  ) {}

  @Post()
  @Roles('ADMIN')
  @ApiOperation({
    summary: "Register a transfer contract (流转合同备案) between the parcels' holder and a transferee",
    description:
      'The parcels must be held by the transferor, lie in one township, be attachable (not mortgaged, seized or with an undelivered certificate: 422 PARCEL_NOT_ATTACHABLE) and not be transferred over overlapping dates (422 PARCEL_ALREADY_TRANSFERRED). ' +
      "areaMu at most the parcels' total (422 AREA_EXCEEDS_PARCELS); the dates within the transferor's rights term on every parcel (422 BEYOND_RIGHTS_TERM). The contract starts REGISTERED.",
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: ContractResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  create(@Body() dto: CreateContractDto, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<ContractResponse> {
    return this.commands.run(req, res, HttpStatus.CREATED, (em) => this.contracts.create(em, dto));
  }

  @Get()
  @Roles(...STAFF_READERS)
  @ApiOperation({ summary: `List transfer contracts by number (at most ${MAX_CONTRACTS_LISTED}), optionally by state, township or county, and party (transferor or transferee)` })
  @ApiOkResponse({ type: [ContractResponse] })
  @ApiErrors(400, 401, 403)
  list(@Query() query: ContractQuery): Promise<ContractResponse[]> {
    return this.contracts.list({ state: query.state, region: query.region, party: query.party, limit: MAX_CONTRACTS_LISTED });
  }

  @Get(':code')
  @Roles(...STAFF_READERS)
  @ApiOperation({ summary: 'Get a transfer contract with its parties, parcels, term and certificate' })
  @ApiOkResponse({ type: ContractResponse })
  @ApiErrors(401, 403, 404)
  get(@Param('code') code: string): Promise<ContractResponse> {
    return this.contracts.get(code);
  }

  @Get(':code/claims')
  @Roles(...STAFF_READERS)
  @ApiOperation({ summary: 'The subsidy claims of a contract (all programmes), oldest first' })
  @ApiOkResponse({ type: [ClaimResponse] })
  @ApiErrors(401, 403, 404)
  async claims(@Param('code') code: string): Promise<ClaimResponse[]> {
    await this.contracts.get(code);
    return this.subsidyClaims.claimsOfContract(code);
  }

  @Post(':code/activate')
  @Roles('ADMIN')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'REGISTERED → ACTIVE once the contract has started (asOf on or after its start date: else 422 CONTRACT_STATE); an active contract is a no-op' })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOkResponse({ type: ContractResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  activate(@Param('code') code: string, @Body() dto: ActivateContractDto, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<ContractResponse> {
    return this.commands.run(req, res, HttpStatus.OK, (em) => this.contracts.activate(em, code, dto.asOf ?? businessToday()));
  }

  @Post(':code/certificate')
  @Roles('ADMIN')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Record the operating-rights certificate (经营权证书) issued for the contract: only for a transfer of 5 years or more (else 422 CERTIFICATE_NOT_ELIGIBLE)',
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOkResponse({ type: ContractResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  certificate(@Param('code') code: string, @Body() dto: ContractCertificateDto, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<ContractResponse> {
    return this.commands.run(req, res, HttpStatus.OK, (em) => this.contracts.recordCertificate(em, code, dto));
  }

  @Post(':code/end')
  @Roles('ADMIN')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'End the contract on schedule (on or after its end date; before it, terminate it early instead: 422 CONTRACT_STATE)' })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOkResponse({ type: ContractResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  end(@Param('code') code: string, @Body() dto: EndContractDto, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<ContractResponse> {
    return this.commands.run(req, res, HttpStatus.OK, (em) => this.contracts.end(em, code, dto.endedOn ?? businessToday()));
  }

  @Post(':code/termination')
  @Roles('ADMIN')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Terminate the contract early: open claims are cancelled, unpaid instalments released to the budget, and what each recipient must return booked as a receivable',
    description:
      'Per claim that paid something: rate × paid × unexpired days / term days, to the 分, split by what each recipient was paid; one entry debits programme:<p>:receivable:<party>:CNY and credits programme:<p>:clawback-pending:CNY ' +
      '(and moves unpaid reservations back from :reserved to :wallet). terminatedOn lies from the start date to before the end date (else 422 CONTRACT_STATE).',
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOkResponse({ type: TerminationResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  terminate(@Param('code') code: string, @Body() dto: TerminateContractDto, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<TerminationResponse> {
    return this.commands.run(req, res, HttpStatus.OK, (em, key) => this.clawbacks.terminateContract(em, code, dto, key));
  }
}
