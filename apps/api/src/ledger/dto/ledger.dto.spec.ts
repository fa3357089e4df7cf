import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { PostEntryDto } from './ledger.dto';

it('reports a missing postings array as "must be an array" first', () => {
  const [error] = validateSync(plainToInstance(PostEntryDto, { kind: 'TRANSFER', effectiveDate: '2025-01-01' }), { stopAtFirstError: true });
  expect(Object.values(error.constraints ?? {})).toEqual(['postings must be an array of postings']);
});
