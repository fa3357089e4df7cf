import type { AuthUser } from '@forest-ledger/access';
import { PDF_CONTENT_TYPE } from '../http/constants';
import { Controller, Get, NotFoundException, OnModuleInit, Query, Res, StreamableFile } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { PartyError, PortalService } from '@forest-ledger/forestry';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HttpResponse } from '../http/http';
import { CurrentUser, Public, Roles } from '../auth/auth.decorators';
import { ApiErrors } from '../http/error.dto';
import { contentDisposition } from '../tickets/content-disposition';
import { AnnualStatementQuery, PortalOverviewResponse } from './dto/portal.dto';
import { ApiErrorCodes } from '../http/error-codes';

/** The page's files, next to this module (the build copies assets/ into dist). */
const ASSETS = {
  'index.html': 'text/html; charset=utf-8',
  'portal.js': 'text/javascript; charset=utf-8',
  'portal.css': 'text/css; charset=utf-8',
} as const;
type AssetName = keyof typeof ASSETS;

/**
 * The villagers' page (/portal): a static page in Chinese, no build step, that logs in with ID number
 * and PIN and reads /v1/me/portal. The data routes take no party code: a villager only ever reads
 * their own party, the one their login is bound to.
 */
@ApiTags("村民页面 (villagers' page)")
@Controller()
@ApiErrorCodes('party', 'ticket', 'dividend', 'access', 'ledger')
export class PortalController implements OnModuleInit {
  private readonly files = new Map<AssetName, Buffer>();

  constructor(private readonly portal: PortalService) {}

  onModuleInit(): void {
    for (const name of Object.keys(ASSETS) as AssetName[]) this.files.set(name, readFileSync(join(__dirname, 'assets', name)));
  }

  @Get('portal')
  @Public()
  @ApiExcludeEndpoint()
  page(@Res({ passthrough: true }) res: HttpResponse): Buffer {
    return this.asset('index.html', res);
  }

  @Get('portal/portal.js')
  @Public()
  @ApiExcludeEndpoint()
  script(@Res({ passthrough: true }) res: HttpResponse): Buffer {
    return this.asset('portal.js', res);
  }

  @Get('portal/portal.css')
  @Public()
  @ApiExcludeEndpoint()
  style(@Res({ passthrough: true }) res: HttpResponse): Buffer {
    return this.asset('portal.css', res);
  }

  @Get('v1/me/portal')
  @Roles('VILLAGER')
  @ApiOperation({
    summary:
      "What the villagers' page shows, for the caller's own party only: 林票 holdings (units, pledged, face value, certificate numbers), every dividend, wallet balance, payouts, statement years",
  })
  @ApiOkResponse({ type: PortalOverviewResponse })
  @ApiErrors(401, 403, 404)
  overview(@CurrentUser() user: AuthUser): Promise<PortalOverviewResponse> {
    return this.portal.overview(this.ownParty(user));
  }

  @Get('v1/me/annual-statement')
  @Roles('VILLAGER')
  @ApiOperation({ summary: "The caller's annual statement (年度对账单) as a PDF: holdings at the year's end, dividends, payouts and the wallet's movement" })
  @ApiProduces(PDF_CONTENT_TYPE)
  @ApiOkResponse({ schema: { type: 'string', format: 'binary' }, description: 'A PDF, as an attachment' })
  @ApiErrors(400, 401, 403, 404)
  async statement(@Query() query: AnnualStatementQuery, @CurrentUser() user: AuthUser, @Res({ passthrough: true }) res: HttpResponse): Promise<StreamableFile> {
    const { fileName, buffer } = await this.portal.annualStatementPdf(this.ownParty(user), query.year);
    res.header('Content-Type', PDF_CONTENT_TYPE);
    res.header('Content-Disposition', contentDisposition('attachment', fileName, `annual-statement-${query.year}.pdf`));
    res.header('Cache-Control', 'no-store');
    return new StreamableFile(buffer, { length: buffer.length });
  }

  private ownParty(user: AuthUser): string {
    if (!user.partyCode) throw new PartyError('UNKNOWN_PARTY', 'this login is not bound to a party', 'party');
    return user.partyCode;
  }

  private asset(name: AssetName, res: HttpResponse): Buffer {
    const body = this.files.get(name);
    if (body === undefined) throw new NotFoundException();
    res.header('Content-Type', ASSETS[name]);
    res.header('Cache-Control', 'no-cache');
    return body;
  }
}
