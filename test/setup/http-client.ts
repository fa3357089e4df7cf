import { Dec } from '@forest-ledger/ledger';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import type { ApiApplication } from '../../apps/api/src/app.setup';
import { ContractChecker, contractOf } from './contract';

/**
 * What every e2e file says to the API: a request as a role (its bearer token from `tokenOf`), a
 * command with a fresh Idempotency-Key unless one is given, and a read. `app` is read at call time,
 * so the helpers can be made before beforeAll creates it. Every answer of `post` and `get` is checked against
 * the OpenAPI document as served (status declared, body valid, shapes; test/setup/contract.ts), so a drift
 * between the API and its document fails the e2e suite.
 */
export function apiClient(app: () => ApiApplication, tokenOf: (role: string) => string | undefined, contract: () => ContractChecker | undefined = contractOf(app)) {
  const http = () => request(app().getHttpServer());
  const as = (role: string) => ({ Authorization: `Bearer ${tokenOf(role) ?? ''}` });
  const checked = (test: request.Test): request.Test => {
    const checker = contract();
    return checker ? test.expect((res) => checker.check(res)) : test;
  };
  const post = (path: string, body: object, role = 'ADMIN', key: string = randomUUID()) => checked(http().post(path).set(as(role)).set('Idempotency-Key', key).send(body));
  const get = (path: string, role = 'ADMIN') => checked(http().get(path).set(as(role)));
  return { http, as, post, get };
}

/** A supertest parser that keeps the body as bytes (PDF, Excel). */
export function binary(res: request.Response, done: (error: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (chunk: Buffer) => chunks.push(chunk));
  res.on('end', () => done(null, Buffer.concat(chunks)));
}

/** Balances now of ledger accounts by code (0 when the account does not exist). */
export async function ledgerBalances(ds: DataSource, codes: string[]): Promise<Record<string, Dec>> {
  const rows = await ds.query<Array<{ code: string; balance: string }>>(
    `SELECT code, (CASE normal_side WHEN 'DEBIT' THEN debits - credits ELSE credits - debits END)::text AS balance FROM ledger_accounts WHERE code = ANY($1::text[])`,
    [codes],
  );
  return Object.fromEntries(codes.map((c) => [c, new Dec(rows.find((r) => r.code === c)?.balance ?? '0')]));
}
