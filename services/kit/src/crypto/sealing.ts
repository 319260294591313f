/**
 * Encryption at rest for secrets a service must read back (export archives, callback signing secrets):
 * AES-256-GCM under a key derived from a configured secret and a purpose, so one configured secret can
 * serve several purposes with independent keys. The associated data (e.g. a request or tenant id) binds a
 * sealed value to what it was made for, so it cannot be served for another.
 *
 * Sealed layout: 'v1' (2 bytes) | IV (12 bytes, random) | GCM tag (16 bytes) | ciphertext.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { failedPrecondition, invalidArgument, type AppError } from '../errors';

const MAGIC = Buffer.from('v1', 'ascii');
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = MAGIC.length + IV_BYTES + TAG_BYTES;
const MIN_SECRET_LENGTH = 32;

export interface SealerOptions {
  /** HKDF info: the key for one purpose says nothing about the key for another. */
  purpose: string;
  /** What `open` throws for altered bytes, another key or other associated data. */
  unreadable?: () => AppError;
}

export class Sealer {
  readonly #key: Buffer;
  readonly #unreadable: () => AppError;

  /** `secret`: at least 32 characters; the 32-byte key is HKDF-SHA256(secret, no salt, purpose). */
  constructor(secret: string, options: SealerOptions) {
    if (secret.length < MIN_SECRET_LENGTH) {
      throw invalidArgument(
        'SEALING_SECRET_TOO_SHORT',
        `the sealing secret needs at least ${MIN_SECRET_LENGTH} characters`,
      );
    }
    this.#key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), options.purpose, 32));
    this.#unreadable =
      options.unreadable ??
      (() => failedPrecondition('SEALED_DATA_UNREADABLE', 'the sealed data cannot be opened'));
  }

  seal(plain: Buffer, associatedData: string): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([MAGIC, iv, cipher.getAuthTag(), ciphertext]);
  }

  /** Throws the `unreadable` error when the bytes were altered, or sealed with another key or associated data. */
  open(sealed: Buffer, associatedData: string): Buffer {
    if (sealed.length < HEADER_BYTES || !sealed.subarray(0, MAGIC.length).equals(MAGIC))
      throw this.#unreadable();
    const iv = sealed.subarray(MAGIC.length, MAGIC.length + IV_BYTES);
    const tag = sealed.subarray(MAGIC.length + IV_BYTES, HEADER_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(sealed.subarray(HEADER_BYTES)), decipher.final()]);
    } catch {
      throw this.#unreadable();
    }
  }
}
