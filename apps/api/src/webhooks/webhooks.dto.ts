import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { MAX_WEBHOOK_TYPES, PARTY_CODE_PATTERN } from '@forest-ledger/forestry';
import { EVENT_TYPE_NAMES } from '@forest-ledger/platform';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

const PARTY_CODE_MESSAGE = '$property must be 1-48 of upper-case letters, digits, ".", "_", "-"';

export class CreateWebhookSubscriptionDto {
  @ApiProperty({ example: 'https://bank.example.com/forest-ledger/events', description: 'https (http and private addresses only with WEBHOOK_ALLOW_PRIVATE)' })
  @IsString()
  @MaxLength(2000)
  url!: string;

  @ApiPropertyOptional({ type: [String], example: ['ticket.pledged', 'ticket.released'], description: 'Event types to deliver; absent or empty: every type' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_WEBHOOK_TYPES)
  @IsIn(EVENT_TYPE_NAMES, { each: true })
  types?: string[];

  @ApiPropertyOptional({ example: 'B-YCNS', description: "Scope: deliver what this party's feed shows (a bank: its pledges' events); absent: every event" })
  @IsOptional()
  @IsString()
  @Matches(PARTY_CODE_PATTERN, { message: PARTY_CODE_MESSAGE })
  party?: string;

  @ApiPropertyOptional({ example: '阳城农商行 质押通知' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  description?: string;

  @ApiPropertyOptional({ example: 'head', description: '"head" (default: events from now on) or a feed sequence to deliver after ("0": the whole feed)' })
  @IsOptional()
  @IsString()
  @Matches(/^(head|\d{1,18})$/, { message: '$property must be "head" or a feed sequence number' })
  startAfter?: string;
}

export class UpdateWebhookSubscriptionDto {
  @ApiPropertyOptional({ example: 'https://bank.example.com/forest-ledger/events' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  url?: string;

  @ApiPropertyOptional({ type: [String], description: 'Event types to deliver; empty: every type' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_WEBHOOK_TYPES)
  @IsIn(EVENT_TYPE_NAMES, { each: true })
  types?: string[];

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(200)
  description?: string;
}

export class RotateWebhookSecretDto {
  @ApiPropertyOptional({ example: 24, description: 'Hours the previous secret still signs beside the new one (default WEBHOOK_SECRET_OVERLAP_HOURS; 0: stop at once)' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(720)
  overlapHours?: number;
}

export class RedeliverDto {
  @ApiProperty({ example: '120', description: 'Deliver again from this feed sequence on (inclusive), in order' })
  @IsString()
  @Matches(/^[1-9]\d{0,17}$/, { message: '$property must be a feed sequence number (1 or more)' })
  fromSeq!: string;
}
