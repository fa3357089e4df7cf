import { inTransaction } from '@forest-ledger/platform';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { insertUser } from './access.service';
import { usersStore } from './users.store';

/** A password to show once: 24 characters from a 56-letter alphabet without look-alikes (~139 bits). */
function newPassword(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
  return Array.from(randomBytes(24), (b) => alphabet[b % alphabet.length]).join('');
}

/**
 * Creates an ADMIN user with a fresh password and returns it (printed once by the caller, stored
 * only as an argon2id hash). With `onlyIfNoUsers`, does nothing when any user exists.
 */
export async function createAdmin(dataSource: DataSource, username: string, options: { onlyIfNoUsers?: boolean } = {}): Promise<{ username: string; password: string } | null> {
  return inTransaction(dataSource, async (em) => {
    if (options.onlyIfNoUsers) {
      await usersStore.lockTable(em); // two starting instances create one admin
      if ((await usersStore.count(em)) > 0) return null;
    }
    const password = newPassword();
    await insertUser(em, { username, displayName: username, role: 'ADMIN', password });
    return { username, password };
  });
}
