import { SINGLE_KEY_ID } from '@forest-ledger/platform';
import { DataSource } from 'typeorm';
import { BANK_CARD_SEALED_COLUMNS } from '../dividends/payouts.store';
import { maskMobile } from './identity-codes';
import { PARTY_MOBILE_SEALED_COLUMNS, PARTY_SEALED_COLUMNS, partiesStore } from './parties.store';
import { MOBILE, normalisePhone } from './roster-import';
import { PiiCipher, SealedColumns } from './pii';

/**
 * Every column sealed by PiiCipher, as each table's owner describes it (the parties store and the payouts
 * store): re-keying is the cipher's concern, so this engine runs over them; the owners' stores never see a key id.
 */
const SEALED = [PARTY_SEALED_COLUMNS, PARTY_MOBILE_SEALED_COLUMNS, BANK_CARD_SEALED_COLUMNS] as const;
const labelOf = (s: Sealed) => s.label ?? s.table;
type Sealed = SealedColumns;

export interface PiiRotationReport {
  /** The newest keys every row is brought to. */
  keyIds: { encryption: string; hmac: string };
  /** Rows re-keyed, per table (per column as `parties.mobile` where a table has two). */
  rotated: Record<string, number>;
  /** Numbers found in the clear `phone` column (written before mobile numbers were sealed): sealed, the clear value removed. */
  clearPhonesSealed: number;
  /** Rows changed by a concurrent write between the read and the update: left for the next run (usually already current). */
  raced: number;
  failed: Array<{ table: string; id: string; error: string }>;
}

export interface PiiCheckReport {
  keyIds: { encryption: string; hmac: string };
  /** Rows not yet under the newest keys, per table: the older keys are still needed while any remain. */
  stale: Record<string, number>;
  /** Rows that no configured key decrypts. */
  undecryptable: Array<{ table: string; id: string; error: string }>;
}

interface Row {
  id: string;
  cipher: string;
  hmac: string | null;
  kind: string | null;
}

/** Rows not under the cipher's newest keys: SQL with its parameters from $1. */
function staleFilter(s: Sealed, pii: PiiCipher): { sql: string; params: string[] } {
  const { encryption, hmac } = pii.currentKeyIds;
  const cipherStale = `NOT starts_with(${s.cipher}, $1)`;
  if (!s.hmac) return { sql: cipherStale, params: [`v2.${encryption}.`] };
  // Under k0 an HMAC is bare (no "<kid>:"); under any other key it starts with "<kid>:".
  const hmacCurrent = hmac === SINGLE_KEY_ID ? `strpos(${s.hmac}, ':') = 0` : `starts_with(${s.hmac}, $2)`;
  return { sql: `(${cipherStale} OR NOT ${hmacCurrent})`, params: [`v2.${encryption}.`, ...(hmac === SINGLE_KEY_ID ? [] : [`${hmac}:`])] };
}

function columns(s: Sealed): string {
  return `${s.id} AS id, ${s.cipher} AS cipher, ${s.hmac ?? 'NULL'} AS hmac, ${s.hmacKind ?? 'NULL'} AS kind`;
}

/**
 * Re-encrypts (and re-HMACs) every sealed value not yet under the cipher's newest keys, in batches read
 * without locks and rows updated one by one, each in its own short transaction and only if unchanged
 * since read (compare-and-set), so the API keeps serving reads and writes throughout. Resumable: a row
 * already under the newest keys is never selected, so a rerun continues where a stopped one was.
 */
export interface PiiRotationOptions {
  batchSize?: number;
  /** A pause after each batch, ms: spreads the writes out on a busy database. */
  pauseMs?: number;
  onBatch?: (table: string, rotated: number) => void;
}

export async function rotatePii(ds: DataSource, pii: PiiCipher, options: PiiRotationOptions = {}): Promise<PiiRotationReport> {
  const batchSize = options.batchSize ?? 500;
  const report: PiiRotationReport = { keyIds: pii.currentKeyIds, rotated: {}, clearPhonesSealed: 0, raced: 0, failed: [] };
  report.clearPhonesSealed = await sealClearPhones(ds, pii, batchSize);
  for (const s of SEALED) {
    const label = labelOf(s);
    report.rotated[label] = 0;
    let after = '0';
    for (;;) {
      const stale = staleFilter(s, pii);
      const n = stale.params.length;
      const rows = await ds.query<Row[]>(
        `SELECT ${columns(s)} FROM ${s.table} WHERE ${s.cipher} IS NOT NULL AND ${stale.sql} AND ${s.id} > $${n + 1}::bigint ORDER BY ${s.id} LIMIT $${n + 2}`,
        [...stale.params, after, batchSize],
      );
      if (rows.length === 0) break;
      for (const row of rows) {
        try {
          const changed = await rekey(ds, pii, s, row);
          if (changed) report.rotated[label] += 1;
          else report.raced += 1;
        } catch (error) {
          report.failed.push({ table: label, id: row.id, error: reasonOf(error) });
        }
      }
      after = rows[rows.length - 1].id;
      options.onBatch?.(label, report.rotated[label]);
      if (options.pauseMs) await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
    }
  }
  return report;
}

/** One row under the newest keys, if it still holds what was read; true when it changed. */
async function rekey(ds: DataSource, pii: PiiCipher, s: Sealed, row: Row): Promise<boolean> {
  const clear = pii.decrypt(row.cipher);
  const cipher = pii.isCurrentCipher(row.cipher) ? row.cipher : pii.encrypt(clear);
  if (!s.hmac || row.hmac === null || row.kind === null) {
    const updated = await ds.query<Array<{ n: number }>>(
      `WITH u AS (UPDATE ${s.table} SET ${s.cipher} = $2 WHERE ${s.id} = $1 AND ${s.cipher} = $3 RETURNING 1) SELECT count(*)::int AS n FROM u`,
      [row.id, cipher, row.cipher],
    );
    return updated[0].n === 1;
  }
  const hmac = pii.hmac(row.kind, clear);
  const updated = await ds.query<Array<{ n: number }>>(
    `WITH u AS (UPDATE ${s.table} SET ${s.cipher} = $2, ${s.hmac} = $3 WHERE ${s.id} = $1 AND ${s.cipher} = $4 AND ${s.hmac} = $5 RETURNING 1) SELECT count(*)::int AS n FROM u`,
    [row.id, cipher, hmac, row.cipher, row.hmac],
  );
  return updated[0].n === 1;
}

/** Counts the rows not under the newest keys and decrypts every sealed value (in batches): what must hold before an old key is dropped. */
export async function checkPii(ds: DataSource, pii: PiiCipher, batchSize = 1000): Promise<PiiCheckReport> {
  const report: PiiCheckReport = { keyIds: pii.currentKeyIds, stale: {}, undecryptable: [] };
  for (const s of SEALED) {
    const stale = staleFilter(s, pii);
    const [{ n }] = await ds.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM ${s.table} WHERE ${s.cipher} IS NOT NULL AND ${stale.sql}`, stale.params);
    report.stale[labelOf(s)] = n;
    let after = '0';
    for (;;) {
      const rows = await ds.query<Row[]>(`SELECT ${columns(s)} FROM ${s.table} WHERE ${s.cipher} IS NOT NULL AND ${s.id} > $1::bigint ORDER BY ${s.id} LIMIT $2`, [
        after,
        batchSize,
      ]);
      if (rows.length === 0) break;
      for (const row of rows) {
        try {
          pii.decrypt(row.cipher);
        } catch (error) {
          report.undecryptable.push({ table: labelOf(s), id: row.id, error: reasonOf(error) });
        }
      }
      after = rows[rows.length - 1].id;
    }
  }
  return report;
}

/**
 * Numbers left in the clear `phone` column by versions before mobile numbers were sealed: a mobile number is
 * sealed into the mobile columns (unless one is set already), anything else (a landline) is dropped; the clear
 * value is removed either way. Row by row, compare-and-set, like the re-keying.
 */
async function sealClearPhones(ds: DataSource, pii: PiiCipher, batchSize: number): Promise<number> {
  let sealed = 0;
  let after = '0';
  for (;;) {
    const rows = await partiesStore.clearPhones(ds.manager, after, batchSize);
    if (rows.length === 0) return sealed;
    for (const row of rows) {
      const digits = normalisePhone(row.phone);
      const mobile = MOBILE.test(digits) ? { cipher: pii.encrypt(digits), masked: maskMobile(digits) } : null;
      if (await partiesStore.sealClearPhone(ds.manager, row.id, row.phone, mobile)) sealed += 1;
    }
    after = rows[rows.length - 1].id;
  }
}

function reasonOf(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (code === '23505') return 'another party holds this ID number under the newest HMAC key (a duplicate registered during the rotation)';
  return error instanceof Error ? error.message : String(error);
}
