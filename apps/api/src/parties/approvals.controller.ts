import { IDEMPOTENCY_HEADER } from '../http/constants';
import { Controller, Get, HttpCode, HttpStatus, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApprovalsService } from '@forest-ledger/access';
import type { AuthUser } from '@forest-ledger/access';
import { PartiesService } from '@forest-ledger/forestry';
import type { HttpRequest, HttpResponse } from '../http/http';
import { CurrentUser, Roles } from '../auth/auth.decorators';
import { ApiErrors } from '../http/error.dto';
import { CommandRunner } from '../http/idempotency';
import { ApprovalPageResponse, ApprovalQuery, ApprovalResponse } from './dto/parties.dto';
import { ApiErrorCodes } from '../http/error-codes';

/** Maker-checker decisions: access keeps the approvals; a party's deactivation is decided by the parties feature. The requester can never decide their own request (422 SAME_USER_APPROVAL). */
@ApiTags('approvals')
@Controller('v1/approvals')
// What approve and reject call into: the approvals (access), the party's deactivation and its wallet's freeze (ledger).
@ApiErrorCodes('access', 'approval', 'party', 'ledger')
export class ApprovalsController {
  constructor(
    private readonly approvals: ApprovalsService,
    private readonly parties: PartiesService,
    private readonly commands: CommandRunner,
  ) {}

  @Get()
  @Roles('ADMIN', 'APPROVER', 'AUDITOR')
  @ApiOperation({ summary: 'List approvals, newest first (keyset pages on id)' })
  @ApiOkResponse({ type: ApprovalPageResponse })
  @ApiErrors(400, 401, 403)
  list(@Query() query: ApprovalQuery): Promise<ApprovalPageResponse> {
    return this.approvals.list(query);
  }

  @Post(':id/approve')
  @Roles('APPROVER')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Approve a pending request (a party deactivation: the party is deactivated and its wallet frozen)' })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOkResponse({ type: ApprovalResponse })
  @ApiErrors(400, 401, 403, 404, 409, 422)
  approve(@Param('id') id: string, @CurrentUser() user: AuthUser, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<ApprovalResponse> {
    return this.commands.run(req, res, HttpStatus.OK, (em) => this.parties.decide(em, id, user, true));
  }

  @Post(':id/reject')
  @Roles('APPROVER')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Reject a pending request' })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOkResponse({ type: ApprovalResponse })
  @ApiErrors(400, 401, 403, 404, 409, 422)
  reject(@Param('id') id: string, @CurrentUser() user: AuthUser, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<ApprovalResponse> {
    return this.commands.run(req, res, HttpStatus.OK, (em) => this.parties.decide(em, id, user, false));
  }
}
