/**
 * Encryption at rest for export archives (the kit's Sealer, see services/kit/src/crypto/sealing.ts), and
 * the tokens of their download links. The associated data (the request id) binds a sealed archive to the
 * request it was made for.
 */
import { createHash, randomBytes } from 'node:crypto';
import { failedPrecondition, Sealer as KitSealer } from '@parley/kit';

/** The kit's sealer with the archive key ('parley-archive') and its own refusal. */
export class Sealer extends KitSealer {
  constructor(secret: string) {
    super(secret, {
      purpose: 'parley-archive',
      unreadable: () =>
        failedPrecondition('SEALED_ARCHIVE_UNREADABLE', 'the sealed archive cannot be opened'),
    });
  }
}

/** 32 random bytes, base64url: the secret part of a download link. */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/** sha256 hex of a token: what is stored, so a database leak does not leak working links. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
