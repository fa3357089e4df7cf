import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  DISCLOSURE_STATES,
  DISCLOSURE_SUBJECT_KINDS,
  MAX_DISCLOSURE_DAYS,
  OBJECTION_OUTCOMES,
  OBJECTION_STATES,
  OBJECTION_TEXT_MAX,
  RAISED_BY_MAX,
  REASON_MAX,
} from '@forest-ledger/forestry';
import type { DisclosurePhase, DisclosureState, DisclosureSubjectKind, ObjectionOutcome, ObjectionState } from '@forest-ledger/forestry';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength, ValidateIf } from 'class-validator';
import { IsCalendarDate, IsDecimalString } from '../../http/validators';

const PHASES = ['IN_PERIOD', 'OBJECTION_OPEN', 'CLEARED', 'SUPERSEDED', 'WITHDRAWN', 'CONCLUDED'];

// ------------------------------------------------------------------ requests

export class DisclosureDaysDto {
  @ApiProperty({
    example: 7,
    nullable: true,
    minimum: 0,
    maximum: MAX_DISCLOSURE_DAYS,
    description: 'Days a list stays up for objections in this region (a village inherits its township’s, a township its county’s); 0 = off; null = inherit',
  })
  @ValidateIf((_, value) => value !== null)
  @IsInt()
  @Min(0)
  @Max(MAX_DISCLOSURE_DAYS)
  disclosureDays!: number | null;
}

export class PublishDisclosureDto {
  @ApiProperty({ enum: DISCLOSURE_SUBJECT_KINDS, example: 'DIVIDEND' }) @IsIn(DISCLOSURE_SUBJECT_KINDS) kind!: DisclosureSubjectKind;

  @ApiProperty({ example: '12', description: "What is disclosed: the project's code (TICKET_ISSUANCE), the declaration's id (DIVIDEND)" })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  subject!: string;

  @ApiPropertyOptional({ example: 'YC-DXG-2025', description: 'TICKET_ISSUANCE: the series code the issuance will use' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Z0-9][A-Z0-9._-]{0,39}$/, { message: '$property must be 1-40 of capital letters, digits, ".", "_", "-"' })
  seriesCode?: string;

  @ApiPropertyOptional({ example: '100.00', description: 'TICKET_ISSUANCE: CNY per unit, as the issuance will use' }) @IsOptional() @IsDecimalString() faceValue?: string;
}

export class ObjectionDto {
  @ApiProperty({ example: '王建国（村民，H-002 户）', description: 'Who raised it, as they gave their name' })
  @IsString()
  @MinLength(1)
  @MaxLength(RAISED_BY_MAX)
  raisedBy!: string;

  @ApiPropertyOptional({ example: '2026-03-04', description: 'When it was raised (publication day … today); default today' }) @IsOptional() @IsCalendarDate() raisedOn?: string;

  @ApiProperty({ example: '我家 2025 年新增人口未计入名单' }) @IsString() @MinLength(1) @MaxLength(OBJECTION_TEXT_MAX) text!: string;
}

export class ResolveObjectionDto {
  @ApiProperty({ enum: OBJECTION_OUTCOMES, description: 'UPHELD: the plan must change and be published again (the round is superseded); DISMISSED: with the reason' })
  @IsIn(OBJECTION_OUTCOMES)
  outcome!: ObjectionOutcome;

  @ApiProperty({ example: '经核实，该户人口变动发生在登记日之后' }) @IsString() @MinLength(1) @MaxLength(REASON_MAX) reason!: string;
}

export class WithdrawDisclosureDto {
  @ApiProperty({ example: '分红方案已撤销' }) @IsString() @MinLength(1) @MaxLength(REASON_MAX) reason!: string;
}

export class DisclosureQuery {
  @ApiPropertyOptional({ example: '140522101201', description: "A village's code" }) @IsOptional() @IsString() @Matches(/^\d{12}$/) village?: string;
  @ApiPropertyOptional({ enum: DISCLOSURE_STATES }) @IsOptional() @IsIn(DISCLOSURE_STATES) state?: DisclosureState;
  @ApiPropertyOptional({ enum: DISCLOSURE_SUBJECT_KINDS }) @IsOptional() @IsIn(DISCLOSURE_SUBJECT_KINDS) kind?: DisclosureSubjectKind;
  @ApiPropertyOptional({ example: '12', description: 'With kind: one subject' }) @IsOptional() @IsString() @MaxLength(100) subject?: string;
}

export class DisclosureLinesQuery {
  @ApiPropertyOptional({ example: 0 }) @IsOptional() @Type(() => Number) @IsInt() @Min(0) afterSeq?: number;
  @ApiPropertyOptional({ example: 1000, minimum: 1, maximum: 5000 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(5000) limit?: number;
}

// ------------------------------------------------------------------ answers

export class RegionDisclosureDaysResponse {
  @ApiProperty({ example: '140522' }) region!: string;
  @ApiProperty({ example: 7, nullable: true, type: Number }) disclosureDays!: number | null;
  @ApiProperty({ example: 7 }) effectiveDays!: number;
}

export class ObjectionResponse {
  @ApiProperty({ example: '3' }) id!: string;
  @ApiProperty() raisedBy!: string;
  @ApiProperty({ example: '2026-03-04' }) raisedOn!: string;
  @ApiProperty() text!: string;
  @ApiProperty({ enum: OBJECTION_STATES }) state!: ObjectionState;
  @ApiProperty({ description: 'User id of the staff member who recorded it' }) recordedBy!: string;
  @ApiProperty() recordedAt!: string;
  @ApiProperty({ nullable: true, type: String }) resolution!: string | null;
  @ApiProperty({ nullable: true, type: String }) resolvedBy!: string | null;
  @ApiProperty({ nullable: true, type: String }) resolvedAt!: string | null;
}

class VillageRefResponse {
  @ApiProperty({ example: '140522101201' }) code!: string;
  @ApiProperty({ example: '大西沟村' }) name!: string;
}

export class DisclosureResponse {
  @ApiProperty({ example: '5' }) id!: string;
  @ApiProperty({ enum: DISCLOSURE_SUBJECT_KINDS }) subjectKind!: DisclosureSubjectKind;
  @ApiProperty({ example: '12' }) subjectId!: string;
  @ApiProperty({ example: 1 }) round!: number;
  @ApiProperty() title!: string;
  @ApiProperty({ type: VillageRefResponse }) village!: VillageRefResponse;
  @ApiProperty({ enum: DISCLOSURE_STATES }) state!: DisclosureState;
  @ApiProperty({ enum: PHASES, description: 'Today: IN_PERIOD, OBJECTION_OPEN or CLEARED for a PUBLISHED round; its state otherwise' }) phase!: DisclosurePhase;
  @ApiProperty({ type: 'object', additionalProperties: true, example: { amount: '9000.00', recordDate: '2026-07-01' } }) params!: Record<string, unknown>;
  @ApiProperty({ example: 7 }) days!: number;
  @ApiProperty({ example: '2026-03-02' }) publishedOn!: string;
  @ApiProperty({ example: '2026-03-03', description: 'First day of the objection period (the day after publication, 民法典 §201)' }) startsOn!: string;
  @ApiProperty({ example: '2026-03-09', description: 'Last day of the objection period' }) endsOn!: string;
  @ApiProperty({ example: '2026-03-10', description: 'From this day the approval or issuance may go ahead (no objection open)' }) clearsOn!: string;
  @ApiProperty({ example: '9123' }) totalUnits!: string;
  @ApiProperty({ example: '45615.00', nullable: true, type: String }) totalAmount!: string | null;
  @ApiProperty({ example: 11 }) lineCount!: number;
  @ApiProperty() publishedBy!: string;
  @ApiProperty() publishedAt!: string;
  @ApiProperty({ nullable: true, type: String }) closedBy!: string | null;
  @ApiProperty({ nullable: true, type: String }) closedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) closeReason!: string | null;
  @ApiProperty({ nullable: true, type: String, example: '分红方案 #12 批准' }) concludedByAct!: string | null;
  @ApiProperty({ type: [ObjectionResponse] }) objections!: ObjectionResponse[];
}

export class DisclosureLineResponse {
  @ApiProperty({ example: 1 }) seq!: number;
  @ApiProperty({ example: 'V-0001' }) party!: string;
  @ApiProperty({ example: '张守仁' }) name!: string;
  @ApiProperty({ example: '张**', description: 'As the public list shows it' }) shownName!: string;
  @ApiProperty({ example: 'MEMBER', nullable: true, type: String }) role!: string | null;
  @ApiProperty({ example: '360' }) units!: string;
  @ApiProperty({ example: '1800.00', nullable: true, type: String }) amount!: string | null;
}

class PublicLineResponse {
  @ApiProperty({ example: 1 }) seq!: number;
  @ApiProperty({ example: '张**' }) name!: string;
  @ApiProperty({ example: '360' }) units!: string;
  @ApiProperty({ example: '1800.00', nullable: true, type: String }) amount!: string | null;
}

class PublicObjectionCounts {
  @ApiProperty() open!: number;
  @ApiProperty() upheld!: number;
  @ApiProperty() dismissed!: number;
}

export class PublicDisclosureResponse {
  @ApiProperty({ example: '5' }) id!: string;
  @ApiProperty({ enum: DISCLOSURE_SUBJECT_KINDS }) kind!: DisclosureSubjectKind;
  @ApiProperty({ example: '林票分红' }) kindLabel!: string;
  @ApiProperty() title!: string;
  @ApiProperty() round!: number;
  @ApiProperty({ enum: PHASES }) phase!: DisclosurePhase;
  @ApiProperty({ example: '公示中' }) phaseLabel!: string;
  @ApiProperty() publishedOn!: string;
  @ApiProperty() startsOn!: string;
  @ApiProperty() endsOn!: string;
  @ApiProperty() days!: number;
  @ApiProperty() totalUnits!: string;
  @ApiProperty({ nullable: true, type: String }) totalAmount!: string | null;
  @ApiProperty({ type: PublicObjectionCounts }) objections!: PublicObjectionCounts;
  @ApiProperty({ type: [PublicLineResponse] }) lines!: PublicLineResponse[];
}

class PublicVillageResponse {
  @ApiProperty({ example: '140522101201' }) code!: string;
  @ApiProperty({ example: '大西沟村' }) name!: string;
  @ApiProperty({ example: '芹池镇', nullable: true, type: String }) township!: string | null;
  @ApiProperty({ example: '阳城县', nullable: true, type: String }) county!: string | null;
}

export class PublicVillageDisclosuresResponse {
  @ApiProperty({ type: PublicVillageResponse }) village!: PublicVillageResponse;
  @ApiProperty({ example: '2026-03-05' }) today!: string;
  @ApiProperty({ type: [PublicDisclosureResponse] }) current!: PublicDisclosureResponse[];
  @ApiProperty({ type: [PublicDisclosureResponse] }) past!: PublicDisclosureResponse[];
}
