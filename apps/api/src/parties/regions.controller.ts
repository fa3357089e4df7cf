import type { Role } from '@forest-ledger/access';
import { IDEMPOTENCY_HEADER } from '../http/constants';
import { Body, Controller, Get, HttpStatus, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RegionsService } from '@forest-ledger/forestry';
import type { HttpRequest, HttpResponse } from '../http/http';
import { Roles, STAFF_READERS } from '../auth/auth.decorators';
import { ApiErrors } from '../http/error.dto';
import { CommandRunner } from '../http/idempotency';
import { CreateRegionDto, RegionQuery, RegionResponse } from './dto/parties.dto';
import { ApiErrorCodes } from '../http/error-codes';

const REGION_READERS: Role[] = [...STAFF_READERS, 'FARM_OPERATOR'];

@ApiTags('parties: regions')
@Controller('v1/regions')
@ApiErrorCodes('party')
export class RegionsController {
  constructor(
    private readonly regions: RegionsService,
    private readonly commands: CommandRunner,
  ) {}

  @Post()
  @Roles('ADMIN')
  @ApiOperation({
    summary: 'Create a county, township (乡镇) or village (村)',
    description: "COUNTY has no parent; a TOWNSHIP's parent is a COUNTY; a VILLAGE's a TOWNSHIP. A child's code is its parent's code + 3 digits.",
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: RegionResponse })
  @ApiErrors(400, 401, 403, 404, 409, 422)
  create(@Body() dto: CreateRegionDto, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<RegionResponse> {
    return this.commands.run(req, res, HttpStatus.CREATED, (em) => this.regions.create(em, dto));
  }

  @Get()
  @Roles(...REGION_READERS)
  @ApiOperation({ summary: 'List regions: the counties, the children of `parent`, by level, or by name (e.g. a village within a township)' })
  @ApiOkResponse({ type: [RegionResponse] })
  @ApiErrors(400, 401, 403)
  list(@Query() query: RegionQuery): Promise<RegionResponse[]> {
    return this.regions.list({ parentCode: query.parent, level: query.level, name: query.name });
  }

  @Get(':code')
  @Roles(...REGION_READERS)
  @ApiOperation({ summary: 'Get a region' })
  @ApiOkResponse({ type: RegionResponse })
  @ApiErrors(401, 403, 404)
  get(@Param('code') code: string): Promise<RegionResponse> {
    return this.regions.get(code);
  }
}
