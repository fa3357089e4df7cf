import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { partiesByCodes } from '../parties/party-refs';
import { PiiCipher } from '../parties/pii';
import { maskCard, normaliseCard } from './dividend-math';
import { DividendError } from './dividends.errors';
import { payoutsStore } from './payouts.store';

/** The longest bank name of a payout card. */
export const BANK_NAME_MAX = 100;

/** Payout cards of parties: the number sealed at rest (the ID-number cipher), a masked copy for screens. */
@Injectable()
export class BankCardsService {
  constructor(private readonly pii: PiiCipher) {}

  /** Records (or replaces) a party's payout card. */
  async setBankCard(em: EntityManager, partyCode: string, input: { bankName: string; cardNumber: string }): Promise<{ party: string; bankName: string; cardMasked: string }> {
    const card = typeof input.cardNumber === 'string' ? normaliseCard(input.cardNumber) : null;
    if (card === null) throw new DividendError('INVALID_BANK_CARD', 'cardNumber must be 12 to 19 digits', 'cardNumber');
    const bankName = typeof input.bankName === 'string' ? input.bankName.trim() : '';
    if (bankName === '' || bankName.length > BANK_NAME_MAX) throw new DividendError('INVALID_DIVIDEND_INPUT', `bankName must be 1-${BANK_NAME_MAX} characters`, 'bankName');
    const party = (await partiesByCodes(em, [partyCode])).get(partyCode);
    if (!party) throw new DividendError('INVALID_DIVIDEND_INPUT', `no party with code ${JSON.stringify(partyCode)}`, 'party');
    await payoutsStore.upsertCard(em, party.id, { bankName, cipher: this.pii.encrypt(card), masked: maskCard(card) });
    return { party: partyCode, bankName, cardMasked: maskCard(card) };
  }
}
