import type { AuthUser } from '@forest-ledger/access';
import { PDF_CONTENT_TYPE } from '../http/constants';
import { Controller, Get, OnModuleInit, Query, Res, StreamableFile } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { PartyError, PortalService } from '@forest-ledger/forestry';
import { join } from 'node:path';
import type { HttpResponse } from '../http/http';
import { CurrentUser, Roles } from '../auth/auth.decorators';
import { ApiErrors } from '../http/error.dto';
import { contentDisposition } from '../tickets/content-disposition';
import { AnnualStatementQuery, PortalOverviewResponse } from './dto/portal.dto';
import { ApiErrorCodes } from '../http/error-codes';
import { StaticFileRoute, StaticFiles } from '../http/static-files';

/**
 * The villagers' page (/portal): a static page in Chinese, no build step, that logs in with ID number
 * and PIN and reads /v1/me/portal. The data routes take no party code: a villager only ever reads
 * their own party, the one their login is bound to.
 */
@ApiTags("村民页面 (villagers' page)")
@Controller()
@ApiErrorCodes('party', 'ticket', 'dividend', 'access', 'ledger')
export class PortalController implements OnModuleInit {
  /** The page's files, next to this module. */
  private readonly files = new StaticFiles(join(__dirname, 'assets'), ['index.html', 'portal.js', 'portal.css']);

  constructor(private readonly portal: PortalService) {}

  onModuleInit(): void {
    this.files.load();
  }

  @StaticFileRoute('portal')
  page(@Res({ passthrough: true }) res: HttpResponse): Buffer {
    return this.files.send('index.html', res);
  }

  @StaticFileRoute('portal/portal.js')
  script(@Res({ passthrough: true }) res: HttpResponse): Buffer {
    return this.files.send('portal.js', res);
  }

  @StaticFileRoute('portal/portal.css')
  style(@Res({ passthrough: true }) res: HttpResponse): Buffer {
    return this.files.send('portal.css', res);
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
}
