import { PiiCipher } from '@forest-ledger/forestry';
import { DataSource, EntityManager } from 'typeorm';
import { maskResidentId } from '../../libs/forestry/src/parties/identity-codes';
import { fixtureRecords, Records, ROSTER_FIXTURE } from '../fixtures/tables';

/** The region codes of the shared fixtures' village and its neighbours. */
export const YANGCHENG = { code: '140522', name: '阳城县' };
export const QINCHI = { code: '140522101', name: '芹池镇' };
export const DAXIGOU = { code: '140522101201', name: '大西沟村' };
/** A neighbour in the same township, without parcels. */
export const XIAODONGGOU = { code: '140522101202', name: '小东沟村' };
export const DINGDIAN = { code: '140522102', name: '町店镇' };
export const YANSHAN = { code: '140522102201', name: '崦山村' };

/** 阳城县 → 芹池镇 (大西沟村, 小东沟村) and 町店镇 (崦山村), straight in SQL. */
export async function seedRegions(ds: DataSource | EntityManager): Promise<void> {
  await ds.query(
    `WITH c AS (INSERT INTO regions (code, name, level) VALUES ($1, $2, 'COUNTY') RETURNING id),
          t1 AS (INSERT INTO regions (code, name, level, parent_id) SELECT $3, $4, 'TOWNSHIP', id FROM c RETURNING id),
          t2 AS (INSERT INTO regions (code, name, level, parent_id) SELECT $5, $6, 'TOWNSHIP', id FROM c RETURNING id)
     INSERT INTO regions (code, name, level, parent_id)
     SELECT $7, $8, 'VILLAGE', id FROM t1 UNION ALL SELECT $9, $10, 'VILLAGE', id FROM t1 UNION ALL SELECT $11, $12, 'VILLAGE', id FROM t2`,
    [
      YANGCHENG.code,
      YANGCHENG.name,
      QINCHI.code,
      QINCHI.name,
      DINGDIAN.code,
      DINGDIAN.name,
      DAXIGOU.code,
      DAXIGOU.name,
      XIAODONGGOU.code,
      XIAODONGGOU.name,
      YANSHAN.code,
      YANSHAN.name,
    ],
  );
}

export interface Person {
  code: string;
  name: string;
  idNumber: string;
}

/** The shared roster's members as V-0001, V-0002 … in file order. */
export function rosterPeople(): Person[] {
  const [header, ...rows] = fixtureRecords(ROSTER_FIXTURE);
  const name = header.indexOf('成员姓名');
  const id = header.indexOf('身份证号');
  return rows.map((row, index) => ({ code: `V-${String(index + 1).padStart(4, '0')}`, name: row[name], idNumber: row[id] }));
}

/** The distinct right holders of a parcel table, coded `${prefix}-0001` … in order of first appearance. */
export function holdersOf(records: Records, prefix: string): Person[] {
  const [header, ...rows] = records;
  const name = header.indexOf('权利人');
  const id = header.indexOf('证件号码');
  const seen = new Map<string, Person>();
  for (const row of rows) {
    if (!seen.has(row[id])) seen.set(row[id], { code: `${prefix}-${String(seen.size + 1).padStart(4, '0')}`, name: row[name], idNumber: row[id] });
  }
  return [...seen.values()];
}

/** Registers persons as VILLAGER parties of a village, with the ID number as HMAC, ciphertext and mask (as the roster import will). */
export async function registerPersons(ds: DataSource | EntityManager, pii: PiiCipher, villageCode: string, people: Person[]): Promise<void> {
  await ds.query(
    `INSERT INTO parties (code, kind, name, region_id, id_kind, id_hmac, id_cipher, id_masked)
     SELECT code, 'VILLAGER', name, (SELECT id FROM regions WHERE code = $1), 'RESIDENT_ID', hmac, cipher, masked
       FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS t(code, name, hmac, cipher, masked)`,
    [
      villageCode,
      people.map((p) => p.code),
      people.map((p) => p.name),
      people.map((p) => pii.hmac('RESIDENT_ID', p.idNumber)),
      people.map((p) => pii.encrypt(p.idNumber)),
      people.map((p) => maskResidentId(p.idNumber)),
    ],
  );
}

/** An organisation party without an ID number (a state farm, for FARM_OPERATOR users). */
export async function registerOrganisation(ds: DataSource | EntityManager, code: string, name: string, kind = 'STATE_FARM'): Promise<void> {
  await ds.query(`INSERT INTO parties (code, kind, name) VALUES ($1, $2, $3)`, [code, kind, name]);
}
