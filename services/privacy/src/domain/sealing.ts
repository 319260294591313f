/**
 * Encryption at rest for export archives, and the tokens of their download links. An archive is sealed
 * with AES-256-GCM under a key derived from a configured secret; the associated data (e.g. the request
 * id) binds a sealed archive to what it was made for, so it cannot be served for another request.
 *
 * Sealed layout: 'v1' (2 bytes) | IV (12 bytes, random) | GCM tag (16 bytes) | ciphertext.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { failedPrecondition, invalidArgument } from '@parley/kit';

const MAGIC = Buffer.from('v1', 'ascii');
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = MAGIC.length + IV_BYTES + TAG_BYTES;
const MIN_SECRET_LENGTH = 32;

const unreadable = () =>
  failedPrecondition('SEALED_ARCHIVE_UNREADABLE', 'the sealed archive cannot be opened');

export class Sealer {
  readonly #key: Buffer;

  /** `secret`: at least 32 characters; the 32-byte key is HKDF-SHA256(secret, no salt, 'parley-archive'). */
  constructor(secret: string) {
    if (secret.length < MIN_SECRET_LENGTH) {
      throw invalidArgument(
        'SEALING_SECRET_TOO_SHORT',
        `the sealing secret needs at least ${MIN_SECRET_LENGTH} characters`,
      );
    }
    this.#key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'parley-archive', 32));
  }

  seal(plain: Buffer, associatedData: string): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([MAGIC, iv, cipher.getAuthTag(), ciphertext]);
  }

  /** Throws SEALED_ARCHIVE_UNREADABLE when the bytes were altered, or sealed with another key or associated data. */
  open(sealed: Buffer, associatedData: string): Buffer {
    if (sealed.length < HEADER_BYTES || !sealed.subarray(0, MAGIC.length).equals(MAGIC)) throw unreadable();
    const iv = sealed.subarray(MAGIC.length, MAGIC.length + IV_BYTES);
    const tag = sealed.subarray(MAGIC.length + IV_BYTES, HEADER_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(sealed.subarray(HEADER_BYTES)), decipher.final()]);
    } catch {
      throw unreadable();
    }
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
