import { IDEMPOTENCY_HEADER } from '../http/constants';
import { Body, Controller, Get, HttpStatus, Param, Post, Req, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { LedgerService } from '@forest-ledger/ledger';
import type { HttpRequest, HttpResponse } from '../http/http';
import { ALL_ROLES, Roles } from '../auth/auth.decorators';
import { ApiErrors } from '../http/error.dto';
import { CommandRunner } from '../http/idempotency';
import { AssetResponse, CreateAssetDto } from './dto/ledger.dto';
import { ApiErrorCodes } from '../http/error-codes';

@ApiTags('ledger: assets')
@Controller('v1/assets')
@ApiErrorCodes('ledger')
export class AssetsController {
  constructor(
    private readonly ledger: LedgerService,
    private readonly commands: CommandRunner,
  ) {}

  @Post()
  @Roles('ADMIN')
  @ApiOperation({ summary: 'Create an asset (what is counted) with its fixed scale' })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: AssetResponse })
  @ApiErrors(400, 409, 413)
  create(@Body() dto: CreateAssetDto, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<AssetResponse> {
    return this.commands.run(req, res, HttpStatus.CREATED, (em) => this.ledger.createAsset(em, dto));
  }

  @Get()
  @Roles(...ALL_ROLES)
  @ApiOperation({ summary: 'List assets' })
  @ApiOkResponse({ type: [AssetResponse] })
  @ApiErrors()
  list(): Promise<AssetResponse[]> {
    return this.ledger.listAssets();
  }

  @Get(':code')
  @Roles(...ALL_ROLES)
  @ApiOperation({ summary: 'Get an asset' })
  @ApiOkResponse({ type: AssetResponse })
  @ApiErrors(404)
  get(@Param('code') code: string): Promise<AssetResponse> {
    return this.ledger.getAsset(code);
  }
}
