import { carbonRetired, certificateHash, retirementCertificateOf, holderCredits, IssuanceView } from '@forest-ledger/forestry';
import { inTransaction, pgErrorCode } from '@forest-ledger/platform';
import { pdfTextLayer } from '../setup/pdf-text';
import { blocksOf, CarbonService, carbonService, createCarbonProject, issueCredits, list, order, retire } from '../factories/carbon.factory';
import { balance, deposit, key, refusal, seedParties, seedTicketWorld, TicketServices, ticketServices, TicketWorld } from '../factories/tickets.factory';
import { useTestDatabase } from '../setup/test-database';

/**
 * Retirement (注销) on PostgreSQL: terminal, one project and vintage, gapless certificates with a
 * SHA-256 and a verification code, the PDF in Chinese; the exclusion constraints; the invariant.
 * A 2021 conference buys 300 t and retires them for its measured 200 t of emissions (DOMAIN.md §5).
 */
const db = useTestDatabase();
let t: TicketServices;
let c: CarbonService;
let world: TicketWorld;
let older: IssuanceView;
let newer: IssuanceView;

const P = 'RT';
const CONFERENCE = 'E-CONF';
const COMPANY = 'E-CSR';

beforeAll(async () => {
  t = ticketServices(db.dataSource);
  c = carbonService(t);
  world = await seedTicketWorld(t, { villagers: 4, households: 2, parcels: 4 });
  await seedParties(t, [
    { code: CONFERENCE, kind: 'ENTERPRISE', name: '2021 年某国际会议组委会' },
    { code: COMPANY, kind: 'ENTERPRISE', name: '某能源集团有限公司' },
  ]);
  await createCarbonProject(t, c, world, P, { bufferRatio: '0.05' });
  older = await issueCredits(t, c, P, { quantity: '1000', vintageStart: '2016-01-01', vintageEnd: '2020-12-31' }); // 950 held, 50 buffer
  newer = await issueCredits(t, c, P, { quantity: '500', vintageStart: '2021-01-01', vintageEnd: '2025-12-31', issuedOn: '2026-02-01' }); // 475 held, 25 buffer
  const listing = await list(t, c, P, { seller: world.farm, unitPrice: '20.00', quantity: '1425' });
  await deposit(t, CONFERENCE, '6000.00');
  await deposit(t, COMPANY, '30000.00');
  await order(t, c, listing.id, { buyer: CONFERENCE, quantity: '300' }); // serials 1-300
  await order(t, c, listing.id, { buyer: COMPANY, quantity: '1000', effectiveDate: '2026-03-01' }); // 301-950 and 1001-1350
});

describe('retirement', () => {
  it('the conference retires its 300 t for 200 t of measured emissions: blocks RETIRED, tonnes to the retired account, certificate No. 1', async () => {
    const r = await retire(t, c, P, {
      holder: CONFERENCE,
      issuanceId: older.id,
      quantity: '300',
      eventName: '2021 年某国际会议',
      eventEmissions: '200',
      purpose: 'EVENT_NEUTRALITY',
    });
    expect(r).toMatchObject({
      certificateNo: 'TH-0000001',
      project: P,
      vintage: '2020',
      quantity: '300',
      serialBlocks: ['FFCER-RT-2020-1-300'],
      retiringParty: CONFERENCE,
      beneficiaryName: '2021 年某国际会议组委会',
      purpose: 'EVENT_NEUTRALITY',
      eventEmissions: '200.000',
      retiredOn: '2021-07-01',
      contentHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      verificationCode: expect.stringMatching(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/),
    });
    expect(r.contentHash).toBe(certificateHash(retirementCertificateOf(r)));
    const entry = await t.ledger.getEntry(r.entryId);
    expect(entry.postings.map((p) => [p.account, p.side, p.amount])).toEqual([
      [holderCredits(CONFERENCE, P), 'DEBIT', '300.000'],
      [carbonRetired(P), 'CREDIT', '300.000'],
    ]);
    expect(await balance(t, holderCredits(CONFERENCE, P))).toBe('0');
    expect(await balance(t, carbonRetired(P))).toBe('300');
    expect((await blocksOf(t, P))[0]).toEqual(['1', '300', 'RETIRED', CONFERENCE]);
  });

  it('is terminal: retired tonnes cannot be retired, listed or sold again', async () => {
    expect(await refusal(retire(t, c, P, { holder: CONFERENCE, issuanceId: older.id, quantity: '1' }))).toMatchObject({
      code: 'INSUFFICIENT_CREDITS',
      details: { available: '0' },
    });
    expect(await refusal(list(t, c, P, { seller: CONFERENCE, unitPrice: '1.00', quantity: '1' }))).toMatchObject({ code: 'INSUFFICIENT_CREDITS' });
    expect((await blocksOf(t, P))[0]).toEqual(['1', '300', 'RETIRED', CONFERENCE]);
  });

  it('never mixes vintages; splits at both ends and the middle; certificate numbers are gapless', async () => {
    // The company holds 650 t of 2020 (301-950) and 350 t of 2025 (1001-1350).
    expect(await refusal(retire(t, c, P, { holder: COMPANY, issuanceId: older.id, quantity: '651' }))).toMatchObject({
      code: 'INSUFFICIENT_CREDITS',
      details: { available: '650' },
    });
    const first = await retire(t, c, P, { holder: COMPANY, issuanceId: newer.id, quantity: '1', purpose: 'CSR', publishBeneficiary: false, beneficiaryName: '李某某' });
    expect(first).toMatchObject({ certificateNo: 'TH-0000002', vintage: '2025', serialBlocks: ['FFCER-RT-2025-1001-1001'] });
    const middle = await retire(t, c, P, {
      holder: COMPANY,
      issuanceId: newer.id,
      quantity: '348',
      purpose: 'JUDICIAL_RESTORATION',
      beneficiaryName: '某县人民检察院生态修复基金',
    });
    expect(middle).toMatchObject({ certificateNo: 'TH-0000003', serialBlocks: ['FFCER-RT-2025-1002-1349'] });
    const last = await retire(t, c, P, { holder: COMPANY, issuanceId: newer.id, quantity: '1', purpose: 'COMPLIANCE_OFFSET' });
    expect(last).toMatchObject({ certificateNo: 'TH-0000004', serialBlocks: ['FFCER-RT-2025-1350-1350'] });
    expect((await blocksOf(t, P)).filter((b) => Number(b[0]) > 1000)).toEqual([
      ['1001', '1001', 'RETIRED', COMPANY],
      ['1002', '1349', 'RETIRED', COMPANY],
      ['1350', '1350', 'RETIRED', COMPANY],
      ['1351', '1475', 'RESERVED', world.farm],
      ['1476', '1500', 'BUFFER', null],
    ]);
    expect(await balance(t, holderCredits(COMPANY, P))).toBe('650');
  });

  it('a replay under the same key returns the same certificate and retires nothing more', async () => {
    const k = key();
    const once = await retire(t, c, P, { holder: COMPANY, issuanceId: older.id, quantity: '10' }, k);
    const twice = await retire(t, c, P, { holder: COMPANY, issuanceId: older.id, quantity: '10' }, k);
    expect(twice).toEqual(once);
    expect(await balance(t, holderCredits(COMPANY, P))).toBe('640');
  });
});

describe('the certificate', () => {
  it('is a PDF in Chinese with the serial range, beneficiary, emissions, hash and verification code', async () => {
    const r = await c.getRetirementByCertificate('TH-0000001');
    const text = (await pdfTextLayer(await c.certificatePdf(r.id))).text;
    for (const expected of [
      '林业碳汇注销证明',
      'TH-0000001',
      'FFCER-RT-2020-1-300',
      '2021 年某国际会议组委会',
      '活动碳中和',
      '200.000 吨二氧化碳当量',
      '300 吨二氧化碳当量',
      r.verificationCode,
    ]) {
      expect(text).toContain(expected);
    }
    expect(text).toContain(r.contentHash.slice(0, 32)); // printed as two lines of 32 hex digits
    expect(text).toContain(r.contentHash.slice(32));
  });

  it('hides a beneficiary who did not allow publication, on the PDF and in the public verification', async () => {
    const r = await c.getRetirementByCertificate('TH-0000002');
    const text = (await pdfTextLayer(await c.certificatePdf(r.id))).text;
    expect(text).toContain('受益方要求不公开');
    expect(text).not.toContain('李某某');
    const check = await c.verifyRetirement('TH-0000002', r.verificationCode);
    expect(check).toMatchObject({ valid: true, intact: true, certificate: { certificateNo: 'TH-0000002', beneficiaryName: null, quantity: '1' } });
    expect(JSON.stringify(check)).not.toContain('李某某');
  });

  it('verifies a good code (dashes and case do not matter); a wrong code or number is not valid; a tampered record is not intact', async () => {
    const r = await c.getRetirementByCertificate('TH-0000001');
    expect(await c.verifyRetirement('TH-0000001', r.verificationCode.toLowerCase().replace(/-/g, ''))).toMatchObject({
      valid: true,
      intact: true,
      certificate: { beneficiaryName: '2021 年某国际会议组委会' },
    });
    const wrong = r.verificationCode.startsWith('A') ? `B${r.verificationCode.slice(1)}` : `A${r.verificationCode.slice(1)}`;
    expect(await c.verifyRetirement('TH-0000001', wrong)).toEqual({ valid: false, intact: false, certificate: null });
    expect(await c.verifyRetirement('TH-0000009', r.verificationCode)).toEqual({ valid: false, intact: false, certificate: null });
    await inTransaction(db.dataSource, async (em) => {
      await em.query(`UPDATE carbon_retirements SET quantity = 3000 WHERE certificate_no = 'TH-0000001'`);
      expect(await c.verifyRetirement('TH-0000001', r.verificationCode, em)).toMatchObject({ valid: true, intact: false });
      await em.query(`UPDATE carbon_retirements SET quantity = 300 WHERE certificate_no = 'TH-0000001'`);
    });
  });
});

describe('the database refuses overlaps on its own', () => {
  async function rawInsert(sql: string, params: unknown[]): Promise<{ code?: string; constraint?: string }> {
    try {
      await db.dataSource.query(sql, params);
      return {};
    } catch (error) {
      return { code: pgErrorCode(error), constraint: (error as { driverError?: { constraint?: string } }).driverError?.constraint };
    }
  }
  const insertBlock = `INSERT INTO carbon_serial_blocks (project_id, issuance_id, serial_start, serial_end, owner_party_id, status)
                       SELECT i.project_id, i.id, $2, $3, (SELECT id FROM parties WHERE code = $4), 'HELD' FROM carbon_issuances i WHERE i.id = $1`;

  it('an overlapping serial range of the same project (exclusion constraint), even by one serial at either end', async () => {
    for (const [start, end] of [['300', '300'], ['1', '1'], ['1500', '1600'], ['0', '1'].map((s) => String(Number(s) + 100))]) {
      expect(await rawInsert(insertBlock, [older.id, start, end, COMPANY])).toEqual({ code: '23P01', constraint: 'xc_carbon_serial_blocks_range' });
    }
    // Just past the last serial is free (and then removed again).
    expect(await rawInsert(insertBlock, [older.id, '1501', '1501', COMPANY])).toEqual({});
    await db.dataSource.query(`DELETE FROM carbon_serial_blocks WHERE serial_start = 1501`);
  });

  it('the same serials in another project are fine', async () => {
    await createCarbonProject(t, c, world, 'OTHER');
    const other = await issueCredits(t, c, 'OTHER', { quantity: '5' });
    expect(other.serials).toEqual({ start: '1', end: '5' });
  });

  it('an overlapping vintage of the same project (exclusion constraint)', async () => {
    const result = await rawInsert(
      `INSERT INTO carbon_issuances (project_id, vintage, vintage_start, vintage_end, quantity, buffer_quantity, serial_start, serial_end, verification_reference, issued_on, entry_id)
       SELECT project_id, '2021', '2020-12-31', '2021-03-31', 1, 0, 9001, 9001, 'raw', '2021-05-01', entry_id + 1000000 FROM carbon_issuances WHERE id = $1`,
      [older.id],
    );
    expect(result).toEqual({ code: '23P01', constraint: 'xc_carbon_issuances_vintage' });
  });
});

describe('the invariant', () => {
  it('per vintage issued = held + reserved + retired + buffer + cancelled, and the ledger agrees', async () => {
    const report = await c.checkInvariant(P);
    expect(report).toEqual({
      project: P,
      ok: true,
      ledgerMismatches: [],
      vintages: [
        { issuanceId: older.id, vintage: '2020', issued: '1000', held: '640', reserved: '0', retired: '310', buffer: '50', cancelled: '0', ok: true },
        { issuanceId: newer.id, vintage: '2025', issued: '500', held: '0', reserved: '125', retired: '350', buffer: '25', cancelled: '0', ok: true },
      ],
    });
  });

  it('reports a block that went missing (checked inside a transaction rolled back afterwards)', async () => {
    await expect(
      inTransaction(db.dataSource, async (em) => {
        await em.query(`DELETE FROM carbon_serial_blocks WHERE status = 'BUFFER' AND issuance_id = $1`, [older.id]);
        const report = await c.checkInvariant(P, em);
        expect(report.ok).toBe(false);
        expect(report.vintages[0]).toMatchObject({ buffer: '0', ok: false });
        expect(report.ledgerMismatches).toEqual([`carbon-project:${P}:buffer: ledger 75 t, serial blocks 25 t`]);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect((await c.checkInvariant(P)).ok).toBe(true);
  });
});

describe('the public registry', () => {
  it('lists issuances and retirements with totals, without unpublished beneficiaries, as JSON and CSV', async () => {
    const registry = await c.registry(P);
    expect(registry).toMatchObject({ project: P, standard: 'FFCER', externalId: 'FJ-RT', state: 'REGISTERED', totals: { issued: '1500', buffer: '75', retired: '660' } });
    expect(registry.issuances.map((i) => i.serialBlock)).toEqual(['FFCER-RT-2020-1-1000', 'FFCER-RT-2025-1001-1500']);
    expect(registry.retirements.map((r) => [r.certificateNo, r.quantity, r.beneficiaryName])).toEqual([
      ['TH-0000001', '300', '2021 年某国际会议组委会'],
      ['TH-0000002', '1', null],
      ['TH-0000003', '348', '某县人民检察院生态修复基金'],
      ['TH-0000004', '1', '2021 年某国际会议组委会'],
      ['TH-0000005', '10', '2021 年某国际会议组委会'],
    ]);
    const csv = await c.registryCsv(P);
    expect(csv).not.toContain('李某某');
    const lines = csv.trimEnd().split('\r\n');
    expect(lines).toHaveLength(1 + 2 + 5 + 3);
    expect(lines[1]).toBe('签发 ISSUANCE,2020,1000,FFCER-RT-2020-1-1000,2021-05-01,核查报告 RT,,');
    expect(lines[lines.length - 1]).toBe('合计注销 TOTAL_RETIRED,,660,,,,,');
  });

  it('reads the registry in three queries whatever the number of retirements, each retirement as its own read shows it', async () => {
    const spy = jest.spyOn(db.dataSource.manager, 'query');
    const registry = await c.registry(P);
    const queries = spy.mock.calls.length;
    spy.mockRestore();
    expect(queries).toBe(3);
    const ids = await db.dataSource.query<Array<{ id: string }>>(
      `SELECT r.id::text AS id FROM carbon_retirements r JOIN carbon_issuances i ON i.id = r.issuance_id JOIN carbon_projects p ON p.id = i.project_id WHERE p.code = $1 ORDER BY r.certificate_seq`,
      [P],
    );
    expect(ids.length).toBeGreaterThanOrEqual(5);
    const expected = (await Promise.all(ids.map(({ id }) => c.getRetirement(id)))).map((r) => ({
      certificateNo: r.certificateNo,
      vintage: r.vintage,
      quantity: r.quantity,
      serialBlocks: r.serialBlocks,
      purpose: r.purpose,
      beneficiaryName: r.publishBeneficiary ? r.beneficiaryName : null,
      retiredOn: r.retiredOn,
    }));
    expect(registry.retirements).toEqual(expected);
    expect(registry.issuances).toEqual(
      (await c.issuances(P)).map(({ vintage, vintageStart, vintageEnd, quantity, bufferQuantity, serialBlock, issuedOn, verificationReference }) => ({
        vintage,
        vintageStart,
        vintageEnd,
        quantity,
        bufferQuantity,
        serialBlock,
        issuedOn,
        verificationReference,
      })),
    );
  });

  it('a closed project issues nothing more, but its credits still trade and retire', async () => {
    await createCarbonProject(t, c, world, 'CLOSED');
    const issuance = await issueCredits(t, c, 'CLOSED', { quantity: '10' });
    await inTransaction(db.dataSource, (em) => c.close(em, 'CLOSED'));
    expect(await refusal(issueCredits(t, c, 'CLOSED', { quantity: '10', vintageStart: '2021-01-01', vintageEnd: '2021-12-31', issuedOn: '2022-01-10' }))).toMatchObject({
      code: 'CARBON_PROJECT_NOT_REGISTERED',
    });
    await expect(retire(t, c, 'CLOSED', { holder: world.farm, issuanceId: issuance.id, quantity: '10' })).resolves.toMatchObject({ quantity: '10' });
  });
});

describe('concurrent retirements of the same tonnes', () => {
  it('five concurrent retirements of 100 t of a holder’s 300 t: three succeed with distinct serials and gapless certificate numbers', async () => {
    await createCarbonProject(t, c, world, 'CONC');
    const issuance = await issueCredits(t, c, 'CONC', { quantity: '300' });
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => retire(t, c, 'CONC', { holder: world.farm, issuanceId: issuance.id, quantity: '100' })));
    const done = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    expect(done).toHaveLength(3);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'INSUFFICIENT_CREDITS' });
    expect(done.map((r) => r.serialBlocks[0]).sort()).toEqual(['FFCER-CONC-2020-1-100', 'FFCER-CONC-2020-101-200', 'FFCER-CONC-2020-201-300']);
    const seqs = await db.dataSource.query<Array<{ seq: number }>>(`SELECT certificate_seq AS seq FROM carbon_retirements ORDER BY certificate_seq`);
    expect(seqs.map((s) => s.seq)).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect(await c.checkInvariant('CONC')).toMatchObject({ ok: true, vintages: [{ retired: '300', held: '0' }] });
  });
});
