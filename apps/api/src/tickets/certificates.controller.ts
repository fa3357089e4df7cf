import { ownerScopeOf, type AuthUser } from '@forest-ledger/access';
import { ReadDatabase } from '@forest-ledger/platform';
import { PDF_CONTENT_TYPE } from '../http/constants';
import { Controller, Get, Param, Res, StreamableFile } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { CertificatesService } from '@forest-ledger/forestry';
import type { HttpResponse } from '../http/http';
import { ALL_ROLES, CurrentUser, Public, Roles } from '../auth/auth.decorators';
import { ApiErrors } from '../http/error.dto';
import { contentDisposition } from './content-disposition';
import { CertificateResponse, VerificationResponse } from './dto/tickets.dto';
import { ApiErrorCodes } from '../http/error-codes';

/** 林票 certificates (持有凭证): the holder's view, the printable PDF and the public verification of the printed code. */
@ApiTags('林票 (tickets)')
@Controller('v1')
@ApiErrorCodes('ticket')
export class CertificatesController {
  constructor(
    private readonly certificates: CertificatesService,
    private readonly readDb: ReadDatabase,
  ) {}

  @Get('certificates/:certificateNo')
  @Roles(...ALL_ROLES)
  @ApiOperation({
    summary: "A certificate with its units now, face amount (and in 大写) and verification code; a scoped caller sees its own, or its farm's or collective's, else 404",
  })
  @ApiOkResponse({ type: CertificateResponse })
  @ApiErrors(401, 403, 404)
  get(@Param('certificateNo') certificateNo: string, @CurrentUser() user: AuthUser): Promise<CertificateResponse> {
    return this.certificates.get(certificateNo, ownerScopeOf(user));
  }

  @Get('certificates/:certificateNo/pdf')
  @Roles(...ALL_ROLES)
  @ApiOperation({ summary: "The certificate as a one-page PDF (Chinese, 大写 amount, verification code); a person's name is masked" })
  @ApiProduces(PDF_CONTENT_TYPE)
  @ApiOkResponse({ schema: { type: 'string', format: 'binary' }, description: 'A PDF, inline' })
  @ApiErrors(401, 403, 404)
  async pdf(@Param('certificateNo') certificateNo: string, @CurrentUser() user: AuthUser, @Res({ passthrough: true }) res: HttpResponse): Promise<StreamableFile> {
    const { fileName, buffer } = await this.certificates.pdf(certificateNo, ownerScopeOf(user));
    res.header('Content-Type', PDF_CONTENT_TYPE);
    res.header('Content-Disposition', contentDisposition('inline', fileName, `certificate-${certificateNo}.pdf`));
    return new StreamableFile(buffer, { length: buffer.length });
  }

  @Get('public/certificates/:code')
  @Public()
  @ApiOperation({
    summary: 'Public verification of a printed certificate by its code (no login): what it stands for today',
    description:
      "Dashes, spaces, lower case and the letters O, I, L typed for 0, 1, 1 are accepted. The holder's name is masked for persons; no ID number. Unknown code: 404 UNKNOWN_CERTIFICATE.",
  })
  @ApiOkResponse({ type: VerificationResponse })
  @ApiErrors(404)
  async verify(@Param('code') code: string): Promise<VerificationResponse> {
    // Lag-tolerant: the read replica when there is one within READ_MAX_LAG_MS.
    return this.certificates.verify(code, await this.readDb.manager());
  }
}
