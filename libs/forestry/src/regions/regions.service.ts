import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { RegionRow, regionsStore } from './regions.store';
import { PartyError } from '../parties/parties.errors';
import { REGION_LEVELS, RegionLevel } from './region.model';

export interface RegionView {
  code: string;
  name: string;
  level: RegionLevel;
  parentCode: string | null;
}

export interface CreateRegionInput {
  code: string;
  name: string;
  level: RegionLevel;
  /** Required for a TOWNSHIP (a COUNTY's code) and a VILLAGE (a TOWNSHIP's code); absent for a COUNTY. */
  parentCode?: string | null;
}

export interface RegionFilter {
  /** Children of this region; without it (and without level) the counties. */
  parentCode?: string;
  level?: RegionLevel;
  /** Exact name (whitespace ignored), e.g. 大西沟村. */
  name?: string;
}

/** A region row with its database id, for features that store region_id. */
export interface RegionRecord extends RegionView {
  id: string;
}

/** What a level's parent must be and how many digits its statistical division code has. */
const RULES: Record<RegionLevel, { parent: RegionLevel | null; digits: number }> = {
  COUNTY: { parent: null, digits: 6 },
  TOWNSHIP: { parent: 'COUNTY', digits: 9 },
  VILLAGE: { parent: 'TOWNSHIP', digits: 12 },
};

export const REGION_CODE_PATTERN = /^\d{6}(\d{3}){0,2}$/;
const MAX_NAME = 100;

function toRecord(row: RegionRow): RegionRecord {
  return { id: row.id, code: row.code, name: row.name, level: row.level, parentCode: row.parent_code };
}

export function toRegionView(record: RegionRecord): RegionView {
  return { code: record.code, name: record.name, level: record.level, parentCode: record.parentCode };
}

/** Whitespace-free NFKC text, so `大西沟 村` and `大西沟村` name the same village. */
function foldName(name: string): string {
  return name.normalize('NFKC').replace(/\s+/gu, '');
}

/**
 * The administrative hierarchy county → township (乡镇) → village (村). Codes are the national
 * statistical division codes: 6 digits for a county, the county's code + 3 for a township, the
 * township's code + 3 for a village (140522 → 140522101 → 140522101201). Regions are never deleted.
 */
@Injectable()
export class RegionsService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async create(em: EntityManager, input: CreateRegionInput): Promise<RegionView> {
    if (!REGION_LEVELS.includes(input.level)) throw new PartyError('VALIDATION_FAILED', `level must be one of ${REGION_LEVELS.join(', ')}`, 'level');
    const name = typeof input.name === 'string' ? input.name.normalize('NFKC').trim() : '';
    if (name === '' || name.length > MAX_NAME) throw new PartyError('VALIDATION_FAILED', `name must be 1-${MAX_NAME} characters`, 'name');
    const rule = RULES[input.level];
    if (typeof input.code !== 'string' || !new RegExp(`^\\d{${rule.digits}}$`).test(input.code)) {
      throw new PartyError('VALIDATION_FAILED', `the code of a ${input.level} must be ${rule.digits} digits (statistical division code)`, 'code');
    }
    let parentId: string | null = null;
    if (rule.parent === null) {
      if (input.parentCode) throw new PartyError('REGION_HIERARCHY', 'a COUNTY has no parent region', 'parentCode');
    } else {
      if (!input.parentCode) throw new PartyError('REGION_HIERARCHY', `a ${input.level} needs a parent ${rule.parent}`, 'parentCode');
      const parent = await this.find(input.parentCode, em);
      if (!parent) throw new PartyError('UNKNOWN_REGION', `no region with code ${JSON.stringify(input.parentCode)}`, 'parentCode');
      if (parent.level !== rule.parent) {
        throw new PartyError('REGION_HIERARCHY', `the parent of a ${input.level} must be a ${rule.parent}; ${parent.code} (${parent.name}) is a ${parent.level}`, 'parentCode');
      }
      if (!input.code.startsWith(parent.code)) {
        throw new PartyError('REGION_HIERARCHY', `the code of a ${input.level} starts with its parent's code ${parent.code}`, 'code');
      }
      parentId = parent.id;
    }
    const inserted = await regionsStore.insert(em, { code: input.code, name, level: input.level, parentId });
    if (!inserted) throw new PartyError('REGION_EXISTS', `region ${input.code} already exists`, 'code');
    return { code: input.code, name, level: input.level, parentCode: rule.parent === null ? null : (input.parentCode ?? null) };
  }

  async get(code: string, em: EntityManager = this.dataSource.manager): Promise<RegionView> {
    return toRegionView(await this.require(code, em));
  }

  /** The region with its id; 404 UNKNOWN_REGION naming `field` when absent. */
  async require(code: string, em: EntityManager = this.dataSource.manager, field = 'code'): Promise<RegionRecord> {
    const region = await this.find(code, em);
    if (!region) throw new PartyError('UNKNOWN_REGION', `no region with code ${JSON.stringify(code)}`, field);
    return region;
  }

  async find(code: string, em: EntityManager = this.dataSource.manager): Promise<RegionRecord | null> {
    if (!REGION_CODE_PATTERN.test(code)) return null;
    const row = await regionsStore.byCode(em, code);
    return row ? toRecord(row) : null;
  }

  async findById(id: string, em: EntityManager = this.dataSource.manager): Promise<RegionRecord | null> {
    const row = await regionsStore.byId(em, id);
    return row ? toRecord(row) : null;
  }

  /** The direct children of a region, by code; the counties for null. */
  async children(parentCode: string | null): Promise<RegionView[]> {
    if (parentCode !== null) await this.require(parentCode, this.dataSource.manager, 'parentCode');
    return this.list(parentCode === null ? {} : { parentCode });
  }

  /** By code. At most a few thousand rows per county, so no paging. */
  async list(filter: RegionFilter = {}): Promise<RegionView[]> {
    const rows = await regionsStore.list(this.dataSource.manager, {
      parentCode: filter.parentCode,
      level: filter.level,
      topOnly: filter.level === undefined && filter.name === undefined,
    });
    const name = filter.name === undefined ? undefined : foldName(filter.name);
    return rows.filter((row) => name === undefined || foldName(row.name) === name).map((row) => toRegionView(toRecord(row)));
  }

  /** The village of that name in a township (names are unique within a township in practice; the first by code wins). */
  async findVillage(townshipCode: string, name: string, em: EntityManager = this.dataSource.manager): Promise<RegionRecord | null> {
    const township = await this.require(townshipCode, em, 'townshipCode');
    if (township.level !== 'TOWNSHIP') throw new PartyError('REGION_HIERARCHY', `${township.code} (${township.name}) is a ${township.level}, not a TOWNSHIP`, 'townshipCode');
    const rows = await regionsStore.villagesOf(em, township.id);
    const wanted = foldName(name);
    const row = rows.find((r) => foldName(r.name) === wanted);
    return row ? toRecord(row) : null;
  }
}
