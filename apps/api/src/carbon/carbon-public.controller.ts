import { CSV_CONTENT_TYPE } from '../http/constants';
import { Controller, Get, Param, Query, Res, StreamableFile } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { CarbonError, CarbonReadsService, CarbonRetirementService } from '@forest-ledger/forestry';
import { ReadDatabase } from '@forest-ledger/platform';
import { Public } from '../auth/auth.decorators';
import { ApiErrors } from '../http/error.dto';
import type { HttpResponse } from '../http/http';
import { contentDisposition } from '../tickets/content-disposition';
import { CarbonRegistryResponse, CarbonVerificationResponse, VerifyCarbonCertificateQuery } from './dto/carbon.dto';
import { ApiErrorCodes } from '../http/error-codes';

/** Spreadsheet programs read a UTF-8 CSV as UTF-8 (not GBK) only with the byte order mark. */
const UTF8_BOM = '\uFEFF';

/** What anyone may check without logging in: a retirement certificate, and a project's public registry. */
@ApiTags('carbon credits')
@Controller('v1/public')
@ApiErrorCodes('carbon')
export class CarbonPublicController {
  constructor(
    private readonly retirements: CarbonRetirementService,
    private readonly reads: CarbonReadsService,
    // Everything here is public and lag-tolerant: the read replica when there is one within READ_MAX_LAG_MS.
    private readonly readDb: ReadDatabase,
  ) {}

  @Get('carbon-certificates/:certificateNo')
  @Public()
  @ApiOperation({
    summary: 'Public verification of a retirement certificate by its number and printed code (no login): what it certifies',
    description:
      'The code accepts dashes, spaces, lower case and O, I, L typed for 0, 1, 1. A wrong code answers like an unknown number: 404 UNKNOWN_CERTIFICATE, nothing disclosed. ' +
      "The beneficiary's name only if they allowed it; never the retiring party. `intact` is false if the stored content no longer hashes to its SHA-256.",
  })
  @ApiOkResponse({ type: CarbonVerificationResponse })
  @ApiErrors(400, 404)
  async verify(@Param('certificateNo') certificateNo: string, @Query() query: VerifyCarbonCertificateQuery): Promise<CarbonVerificationResponse> {
    const result = await this.retirements.verifyRetirement(certificateNo, query.code, await this.readDb.manager());
    if (!result.valid || result.certificate === null) {
      throw new CarbonError('UNKNOWN_CERTIFICATE', `no retirement certificate ${JSON.stringify(certificateNo)} with this verification code`, 'code');
    }
    return { valid: result.valid, intact: result.intact, certificate: result.certificate };
  }

  @Get('carbon-projects/:code/registry')
  @Public()
  @ApiOperation({
    summary: 'The public registry of a carbon project (no login): issuances and retirements with their serials, and the totals; beneficiaries only if they allowed it',
  })
  @ApiOkResponse({ type: CarbonRegistryResponse })
  @ApiErrors(404)
  async registry(@Param('code') code: string): Promise<CarbonRegistryResponse> {
    return this.reads.registry(code, await this.readDb.manager());
  }

  @Get('carbon-projects/:code/registry.csv')
  @Public()
  @ApiOperation({ summary: 'The public registry as CSV (UTF-8 with BOM, CRLF): one row per issuance and per retirement, then the totals' })
  @ApiProduces(CSV_CONTENT_TYPE)
  @ApiOkResponse({ schema: { type: 'string', format: 'binary' }, description: 'A CSV attachment' })
  @ApiErrors(404)
  async registryCsv(@Param('code') code: string, @Res({ passthrough: true }) res: HttpResponse): Promise<StreamableFile> {
    const buffer = Buffer.from(UTF8_BOM + (await this.reads.registryCsv(code, await this.readDb.manager())), 'utf8');
    res.header('Content-Type', CSV_CONTENT_TYPE);
    res.header('Content-Disposition', contentDisposition('attachment', `碳汇登记簿-${code}.csv`, `carbon-registry-${code}.csv`));
    return new StreamableFile(buffer, { length: buffer.length });
  }
}
