import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ROLES } from '@forest-ledger/access';
import type { Role } from '@forest-ledger/access';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';

export class LoginDto {
  @ApiProperty({ example: 'admin' }) @IsString() @MaxLength(100) username!: string;
  @ApiProperty({ example: 'correct horse battery staple' }) @IsString() @MaxLength(200) password!: string;
}

export class VillagerLoginDto {
  @ApiProperty({ example: '140522194409260030', description: 'Resident ID number (身份证号)' }) @IsString() @MaxLength(30) idNumber!: string;
  @ApiProperty({ example: '123456' }) @IsString() @Matches(/^\d{6}$/, { message: '$property must be 6 digits' }) pin!: string;
}

export class ChangePinDto {
  @ApiProperty() @IsString() @Matches(/^\d{6}$/, { message: '$property must be 6 digits' }) currentPin!: string;
  @ApiProperty() @IsString() @Matches(/^\d{6}$/, { message: '$property must be 6 digits' }) newPin!: string;
}

export class TokenResponse {
  @ApiProperty() accessToken!: string;
  @ApiProperty({ example: 'Bearer' }) tokenType!: 'Bearer';
  @ApiProperty({ example: 900, description: 'Seconds until the token expires' }) expiresIn!: number;
  @ApiProperty({ enum: ROLES }) role!: Role;
}

export class MeResponse {
  @ApiProperty() userId!: string;
  @ApiProperty({ enum: ROLES }) role!: Role;
  @ApiProperty({ nullable: true, type: String }) partyCode!: string | null;
  @ApiProperty() displayName!: string;
}

export class CreateUserDto {
  @ApiProperty({ example: 'li.approver' }) @IsString() @Matches(/^[a-z0-9._-]{3,50}$/, { message: '$property must be 3-50 of a-z, 0-9, ".", "_", "-"' }) username!: string;
  @ApiProperty({ example: '李审核' }) @IsString() @MinLength(1) @MaxLength(100) displayName!: string;
  @ApiProperty({ enum: ROLES.filter((r) => r !== 'VILLAGER'), description: 'Villagers get a PIN through the party routes instead' })
  @IsIn(ROLES.filter((r) => r !== 'VILLAGER'))
  role!: Role;
  @ApiProperty({ minLength: 12 }) @IsString() @MinLength(12, { message: '$property must be at least 12 characters' }) @MaxLength(200) password!: string;
  @ApiPropertyOptional({ description: 'Party code the user is scoped to (required for FARM_OPERATOR and BUYER)' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  partyCode?: string;
}

export class CreatedResponse {
  @ApiProperty() id!: string;
}

export class CreateApiKeyDto {
  @ApiProperty({ example: 'county ERP export' }) @IsString() @MinLength(1) @MaxLength(100) name!: string;
  @ApiProperty({ description: 'The user the key acts as (its role and scope)' }) @IsString() @Matches(/^\d{1,18}$/) userId!: string;
}

export class ApiKeyCreatedResponse {
  @ApiProperty() id!: string;
  @ApiProperty() prefix!: string;
  @ApiProperty({ description: 'Shown once; send it as the X-Api-Key header' }) key!: string;
}

export class UserResponse {
  @ApiProperty() id!: string;
  @ApiProperty({ nullable: true, type: String }) username!: string | null;
  @ApiProperty() displayName!: string;
  @ApiProperty({ enum: ROLES }) role!: Role;
  @ApiProperty({ nullable: true, type: String }) partyCode!: string | null;
  @ApiProperty() active!: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class ApiKeyResponse {
  @ApiProperty() id!: string;
  @ApiProperty() prefix!: string;
  @ApiProperty() name!: string;
  @ApiProperty() userId!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) revokedAt!: string | null;
}

export class AuditQuery {
  @ApiPropertyOptional() @IsOptional() @IsString() @Matches(/^\d{1,18}$/) userId?: string;
  @ApiPropertyOptional({ description: 'nextBefore of the previous page' }) @IsOptional() @IsString() @Matches(/^\d{1,18}$/) before?: string;
  @ApiPropertyOptional({ default: 100, maximum: 500 })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

export class AuditRowResponse {
  @ApiProperty() id!: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ nullable: true, type: String }) userId!: string | null;
  @ApiProperty({ nullable: true, type: String }) role!: string | null;
  @ApiProperty() method!: string;
  @ApiProperty() path!: string;
  @ApiProperty({ nullable: true, type: String }) idempotencyKey!: string | null;
  @ApiProperty() status!: number;
  @ApiProperty({ enum: ['SUCCESS', 'FAILURE'] }) outcome!: 'SUCCESS' | 'FAILURE';
  @ApiProperty({ nullable: true, type: String }) errorCode!: string | null;
  @ApiProperty({ type: [String] }) entryIds!: string[];
  @ApiProperty({ nullable: true, type: String }) correlationId!: string | null;
}

export class AuditPageResponse {
  @ApiProperty({ type: [AuditRowResponse] }) items!: AuditRowResponse[];
  @ApiProperty({ nullable: true, type: String }) nextBefore!: string | null;
}
