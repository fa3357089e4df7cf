import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ATTACH_PURPOSES, CERTIFICATE_STATES, REFUSAL_REASONS } from '@forest-ledger/forestry';
import type { AttachPurpose, CertificateState, ParcelClaimKind, RefusalReason } from '@forest-ledger/forestry';
import { PARCEL_CLAIM_KINDS } from '@forest-ledger/forestry';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBase64, IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';

const toInt = ({ value }: { value: unknown }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value);
const toBool = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);

const PARCEL_ID = /^[1-9][0-9]{0,18}$/;
export const MAX_ATTACH_CHECK = 1000;

// ------------------------------------------------------------------ requests

export class ImportParcelTableDto {
  @ApiProperty({ example: 'parcels-大西沟村.xlsx', description: "The uploaded file's name, quoted in error messages; the format is recognised from the content" })
  @IsString()
  @MinLength(1)
  @MaxLength(255)
  fileName!: string;

  @ApiProperty({
    format: 'byte',
    description:
      'The file (.xlsx, or CSV in UTF-8 or GB18030) in standard base64. The whole JSON body may be at most 1 MB, so the file at most about 750 KB (413 PAYLOAD_TOO_LARGE beyond): split bigger villages or save as .xlsx.',
  })
  @IsString()
  @IsBase64(undefined, { message: '$property must be standard base64' })
  contentBase64!: string;
}

export class ListParcelsQuery {
  @ApiPropertyOptional({ example: '140522101', description: 'A county, township or village code: the parcels of the villages under it. Required for FARM_OPERATOR and BUYER.' })
  @IsOptional()
  @IsString()
  @MaxLength(50)
  regionCode?: string;

  @ApiPropertyOptional({ example: 'V-0012', description: 'Party code of the right holder' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  holderCode?: string;

  @ApiPropertyOptional({ enum: CERTIFICATE_STATES }) @IsOptional() @IsIn(CERTIFICATE_STATES) certificateState?: CertificateState;
  @ApiPropertyOptional() @IsOptional() @Transform(toBool) @IsBoolean() mortgaged?: boolean;
  @ApiPropertyOptional() @IsOptional() @Transform(toBool) @IsBoolean() seized?: boolean;
  @ApiPropertyOptional({ default: 100, maximum: 500 }) @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(500) limit?: number;
  @ApiPropertyOptional({ description: 'nextCursor of the previous page' }) @IsOptional() @IsString() @MaxLength(100) after?: string;
}

export class AttachabilityCheckDto {
  @ApiProperty({ type: [String], example: ['12', '13'], minItems: 1, maxItems: MAX_ATTACH_CHECK })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_ATTACH_CHECK)
  @IsString({ each: true })
  @Matches(PARCEL_ID, { each: true, message: '$property must hold parcel ids (positive integers as strings)' })
  parcelIds!: string[];

  @ApiProperty({ enum: ATTACH_PURPOSES })
  @IsIn(ATTACH_PURPOSES)
  purpose!: AttachPurpose;
}

// ------------------------------------------------------------------ responses

export class ParcelImportResponse {
  @ApiProperty({ example: '140522101201' }) villageCode!: string;
  @ApiProperty({ example: 60 }) imported!: number;
  @ApiProperty({ example: '2486.1769', description: 'Total area of the imported parcels in 亩, exact, four decimals' }) areaMu!: string;
}

/** The shape of each `details.errors[]` item of a 422 IMPORT_REJECTED. */
export class ImportRowErrorResponse {
  @ApiProperty({ example: 31, description: 'Row number as Excel shows it (the header is row 1)' }) row!: number;
  @ApiProperty({ example: '面积(亩)', description: 'The column header as written in the file' }) column!: string;
  @ApiProperty({ example: '面积必须大于0 / area must be greater than 0' }) message!: string;
}

export class ParcelResponse {
  @ApiProperty({ example: '42' }) id!: string;
  @ApiProperty({ example: '晋(2025)阳城县不动产权第0001001号', description: '林权证号 / 不动产权证号' }) certificateNo!: string;
  @ApiProperty({ nullable: true, type: String, description: '不动产单元号' }) realEstateUnitNo!: string | null;
  @ApiProperty({ example: 'V-0012', nullable: true, type: String, description: 'null for a FARM_OPERATOR or BUYER when the parcel is not its own' }) holderCode!: string | null;
  @ApiProperty({ example: '李永胜', nullable: true, type: String, description: 'null when holderCode is' }) holderName!: string | null;
  @ApiProperty({ nullable: true, type: String, example: '1405**********0690', description: 'Masked ID number; null for FARM_OPERATOR and BUYER callers' }) holderIdMasked!:
    string | null;
  @ApiProperty({ example: '140522101201' }) villageCode!: string;
  @ApiProperty({ example: '大西沟村' }) villageName!: string;
  @ApiProperty({ example: '140522101' }) townshipCode!: string;
  @ApiProperty({ example: '芹池镇' }) townshipName!: string;
  @ApiProperty({ example: '140522' }) countyCode!: string;
  @ApiProperty({ example: '阳城县' }) countyName!: string;
  @ApiProperty({ example: '芹池镇大西沟村后沟', description: '坐落' }) location!: string;
  @ApiProperty({ example: '10', description: '林班' }) forestCompartment!: string;
  @ApiProperty({ example: '14', description: '小班' }) subCompartment!: string;
  @ApiProperty({ example: '29.8000', description: '亩, four decimals' }) areaMu!: string;
  @ApiProperty({ example: '用材林', description: '林种' }) forestType!: string;
  @ApiProperty({ example: '华山松', description: '主要树种' }) mainSpecies!: string;
  @ApiProperty({ example: '2008-01-01' }) rightsStart!: string;
  @ApiProperty({ example: '2077-12-31' }) rightsEnd!: string;
  @ApiProperty({ enum: CERTIFICATE_STATES }) certificateState!: CertificateState;
  @ApiProperty({ example: '发放到户' }) certificateStateLabel!: string;
  @ApiProperty({ description: '抵押' }) mortgaged!: boolean;
  @ApiProperty({ description: '查封' }) seized!: boolean;
  @ApiProperty({ nullable: true, type: String }) remarks!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class ParcelPageResponse {
  @ApiProperty({ type: [ParcelResponse] }) items!: ParcelResponse[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

export class AreaCountResponse {
  @ApiProperty({ example: 25 }) parcels!: number;
  @ApiProperty({ example: '1012.3400', description: '亩, exact, four decimals' }) areaMu!: string;
}

export class CertificateStateFiguresResponse {
  @ApiProperty({ type: AreaCountResponse, description: '发放到户' }) ISSUED_TO_HOUSEHOLD!: AreaCountResponse;
  @ApiProperty({ type: AreaCountResponse, description: '已打印盖章未发放' }) PRINTED_SEALED_NOT_ISSUED!: AreaCountResponse;
  @ApiProperty({ type: AreaCountResponse, description: '已打印未盖章' }) PRINTED_NOT_SEALED!: AreaCountResponse;
  @ApiProperty({ type: AreaCountResponse, description: '未打印未盖章' }) NOT_PRINTED!: AreaCountResponse;
}

export class ParcelFiguresResponse extends AreaCountResponse {
  @ApiProperty({ type: CertificateStateFiguresResponse }) byState!: CertificateStateFiguresResponse;
  @ApiProperty({ type: AreaCountResponse }) mortgaged!: AreaCountResponse;
  @ApiProperty({ type: AreaCountResponse }) seized!: AreaCountResponse;
}

export class VillageFiguresResponse extends ParcelFiguresResponse {
  @ApiProperty({ example: '140522101201' }) code!: string;
  @ApiProperty({ example: '大西沟村' }) name!: string;
  @ApiProperty({ example: '140522101' }) townshipCode!: string;
  @ApiProperty({ example: '芹池镇' }) townshipName!: string;
}

export class TownshipFiguresResponse extends ParcelFiguresResponse {
  @ApiProperty({ example: '140522101' }) code!: string;
  @ApiProperty({ example: '芹池镇' }) name!: string;
}

export class RegionRefResponse {
  @ApiProperty({ example: '140522' }) code!: string;
  @ApiProperty({ example: '阳城县' }) name!: string;
  @ApiProperty({ enum: ['COUNTY', 'TOWNSHIP', 'VILLAGE'] }) level!: 'COUNTY' | 'TOWNSHIP' | 'VILLAGE';
}

export class ParcelSummaryResponse {
  @ApiProperty({ type: RegionRefResponse }) region!: RegionRefResponse;
  @ApiProperty({ type: [VillageFiguresResponse], description: 'Every village under the region, with or without parcels' }) villages!: VillageFiguresResponse[];
  @ApiProperty({ type: [TownshipFiguresResponse], description: 'Subtotals of the townships wholly inside the region (none for a village)' }) townships!: TownshipFiguresResponse[];
  @ApiProperty({ type: ParcelFiguresResponse, description: 'The region as a whole' }) total!: ParcelFiguresResponse;
}

export class AttachableParcelResponse {
  @ApiProperty({ example: '42' }) id!: string;
  @ApiProperty() certificateNo!: string;
  @ApiProperty() holderPartyId!: string;
  @ApiProperty() villageId!: string;
  @ApiProperty({ example: '29.8000' }) areaMu!: string;
}

export class AttachabilityResponse {
  @ApiProperty({ example: true }) ok!: true;
  @ApiProperty({ enum: ATTACH_PURPOSES }) purpose!: AttachPurpose;
  @ApiProperty({ type: [AttachableParcelResponse] }) parcels!: AttachableParcelResponse[];
}

/** The shape of each `details.refused[]` item of a 422 PARCEL_NOT_ATTACHABLE. */
export class RefusedParcelResponse {
  @ApiProperty() parcelId!: string;
  @ApiProperty({ nullable: true, type: String }) certificateNo!: string | null;
  @ApiProperty({ enum: REFUSAL_REASONS, isArray: true }) reasons!: RefusalReason[];
  @ApiProperty({ example: '已抵押 / mortgaged' }) message!: string;
}

export class ParcelClaimResponse {
  @ApiProperty({ enum: PARCEL_CLAIM_KINDS, example: 'CARBON_PROJECT' }) kind!: ParcelClaimKind;
  @ApiProperty({ example: 'DXG-C1' }) code!: string;
  @ApiProperty({ nullable: true, type: String, example: '大西沟村森林经营碳汇项目' }) name!: string | null;
  @ApiProperty({ example: 'REGISTERED', description: "The instrument's own state" }) state!: string;
  @ApiProperty({ example: '2021-01-01', description: 'First day held' }) from!: string;
  @ApiProperty({
    example: '2040-12-31',
    description: 'Last day held: a cooperation project its term end, a carbon project its crediting end (a CLOSED one its last issued vintage), a contract its end or termination',
  })
  to!: string;
}

export class ParcelClaimsResponse {
  @ApiProperty() parcelId!: string;
  @ApiProperty() certificateNo!: string;
  @ApiProperty({ type: [ParcelClaimResponse], description: 'Oldest first' }) claims!: ParcelClaimResponse[];
}
