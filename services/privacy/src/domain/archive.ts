/**
 * The export archive handed to a data subject for an access or portability request: one ZIP with a
 * manifest (what was asked, which participants answered, which files hold what, with their sha256) and,
 * for every participant and data category, the records as JSON (the exact copy) and as CSV (for
 * spreadsheets). Written as a stream with fflate's streaming Zip, each entry deflated by Node's zlib
 * (native code, several times faster than a JavaScript DEFLATE): records are read a page at a time and the
 * ZIP's bytes handed on as they are made, so an archive of a million records needs no more memory than one
 * page; the manifest, which names every file's digest, is the last entry. Entries are plain ZIP (no ZIP64):
 * each file must stay under 4 GiB, some ten million records of one category.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { crc32, createDeflateRaw } from 'node:zlib';
import { strToU8, unzipSync, Zip, type AsyncFlateStreamHandler, type ZipInputFile } from 'fflate';
import { invalidArgument, type FieldViolation } from '@parley/kit';

export interface ExportRecord {
  participant: string;
  category: string;
  data: Record<string, unknown>;
}

/** What the archive says about the request, whatever its records. */
export interface ArchiveHeading {
  request: {
    id: string;
    type: string;
    tenantId: string;
    receivedAt: Date;
    completedAt: Date;
    jurisdiction: string;
  };
  /** The identifiers the request resolved. */
  subject: Record<string, unknown>;
  /** Every participant asked, including those that hold nothing about the subject. */
  participants: { name: string; receipt: unknown }[];
  /** When the archive was made; defaults to now. */
  generatedAt?: Date;
}

export interface ArchiveInput extends ArchiveHeading {
  /** Only the subject's records; each must name a listed participant. */
  records: Iterable<ExportRecord> | AsyncIterable<ExportRecord>;
}

/** Where a streamed archive reads its records from: one participant's category at a time, page by page. */
export interface ArchiveRecords {
  /** The categories a participant exported records of (in any order; the archive sorts them). */
  categories(participant: string): Promise<string[]>;
  /**
   * One category's records in the order they were exported, a page at a time. Read twice per category
   * (for the JSON file, then the CSV), so it must give the same records each time.
   */
  pages(participant: string, category: string): AsyncIterable<Record<string, unknown>[]>;
}

export interface ArchiveFile {
  path: string;
  sha256: string;
  bytes: number;
}

export interface ArchiveManifest {
  format: 'parley-export/1';
  generatedAt: string;
  request: {
    id: string;
    type: string;
    tenantId: string;
    receivedAt: string;
    completedAt: string;
    jurisdiction: string;
  };
  subject: Record<string, unknown>;
  participants: { name: string; receipt: unknown; records: number }[];
  categories: { participant: string; category: string; records: number; files: ArchiveFile[] }[];
}

/** Participant and category names become path segments, so they are held to a safe alphabet. */
const SAFE_NAME = /^[a-z0-9_-]{1,64}$/;

/**
 * DEFLATE level 1: exports are mostly repetitive JSON and CSV, which the fastest level still shrinks
 * several times over, at a fraction of the default level's time.
 */
const DEFLATE_LEVEL = 1;

function checkName(field: string, name: string): void {
  if (!SAFE_NAME.test(name)) {
    const violation: FieldViolation = { field, description: '1-64 characters of a-z, 0-9, _ and -' };
    throw invalidArgument('EXPORT_NAME_UNSAFE', `${field}: ${violation.description}`, [violation]);
  }
}

function checkParticipants(participants: ArchiveHeading['participants']): void {
  const seen = new Set<string>();
  participants.forEach(({ name }, index) => {
    checkName(`participants[${index}].name`, name);
    if (seen.has(name)) {
      throw invalidArgument('EXPORT_PARTICIPANT_DUPLICATE', `participant ${name} is listed twice`);
    }
    seen.add(name);
  });
}

/**
 * A ZIP entry deflated by zlib, for fflate's Zip (which accepts any ZipInputFile): its size and CRC-32 are
 * counted as the text goes in, and the Zip writes them after the data (a data descriptor).
 */
class ZlibEntry implements ZipInputFile {
  size = 0;
  crc = 0;
  readonly compression = 8;
  readonly flag = 0;
  ondata: AsyncFlateStreamHandler = () => undefined;
  private readonly deflate = createDeflateRaw({ level: DEFLATE_LEVEL });
  private readonly finished: Promise<void>;

  constructor(
    readonly filename: string,
    readonly mtime: Date,
  ) {
    this.finished = new Promise((resolve, reject) => {
      this.deflate.on('data', (data: Buffer) =>
        this.ondata(
          null,
          new Uint8Array(data.buffer as ArrayBuffer, data.byteOffset, data.byteLength),
          false,
        ),
      );
      this.deflate.once('end', () => {
        this.ondata(null, new Uint8Array(0), true);
        resolve();
      });
      this.deflate.once('error', reject);
    });
  }

  async write(piece: Uint8Array): Promise<void> {
    this.size += piece.length;
    this.crc = crc32(piece, this.crc);
    if (!this.deflate.write(piece)) await once(this.deflate, 'drain');
  }

  async end(): Promise<void> {
    this.deflate.end();
    await this.finished;
  }

  terminate(): void {
    this.deflate.destroy();
  }
}

/**
 * A ZIP written entry by entry: the bytes fflate makes are collected as it makes them and handed to
 * `write` after each piece of input, which is awaited (back-pressure), so nothing piles up.
 */
class ZipStream {
  private readonly zip: Zip;
  private made: Uint8Array[] = [];
  private failure: Error | undefined;

  constructor(
    private readonly mtime: Date,
    private readonly write: (bytes: Uint8Array) => Promise<void>,
  ) {
    this.zip = new Zip((error, data) => {
      if (error) this.failure = error;
      else if (data.length > 0) this.made.push(data);
    });
  }

  private async flush(): Promise<void> {
    if (this.failure) throw this.failure;
    const made = this.made;
    this.made = [];
    for (const bytes of made) await this.write(bytes);
  }

  /** Adds the file `path`, whose text `fill` writes piece by piece with `put`; answers its size and digest. */
  async file(
    path: string,
    fill: (put: (text: string) => Promise<void>) => Promise<void>,
  ): Promise<ArchiveFile> {
    const entry = new ZlibEntry(path, this.mtime);
    this.zip.add(entry);
    const digest = createHash('sha256');
    let bytes = 0;
    await fill(async (text) => {
      if (text.length === 0) return;
      const piece = strToU8(text);
      digest.update(piece);
      bytes += piece.length;
      await entry.write(piece);
      await this.flush();
    });
    await entry.end();
    await this.flush();
    return { path, sha256: digest.digest('hex'), bytes };
  }

  async end(): Promise<void> {
    this.zip.end();
    await this.flush();
  }
}

/** A record as an element of `JSON.stringify(rows, null, 2)`: the same text, indented one level. */
const jsonElement = (row: Record<string, unknown>) =>
  `  ${JSON.stringify(row, null, 2).replaceAll('\n', '\n  ')}`;

/**
 * Writes the archive to `write` as it is made, reading `records` one page at a time and giving the event
 * loop a turn between pages, so a large export neither fills memory nor holds up the process; answers
 * the manifest (also the archive's last entry, manifest.json).
 */
export async function writeArchive(
  heading: ArchiveHeading,
  records: ArchiveRecords,
  write: (bytes: Uint8Array) => Promise<void>,
): Promise<ArchiveManifest> {
  checkParticipants(heading.participants);
  const generatedAt = heading.generatedAt ?? new Date();
  const zip = new ZipStream(generatedAt, write);
  const categories: ArchiveManifest['categories'] = [];
  for (const { name: participant } of heading.participants) {
    const names = [...new Set(await records.categories(participant))].sort();
    for (const category of names) {
      checkName('records.category', category);
      const base = `data/${participant}/${category}`;
      // The JSON first, noting the CSV's columns (every key, first seen first) on the way.
      const columns = new Set<string>();
      let count = 0;
      const json = await zip.file(`${base}.json`, async (put) => {
        for await (const page of records.pages(participant, category)) {
          const text: string[] = [];
          for (const row of page) {
            for (const key of Object.keys(row)) columns.add(key);
            text.push(`${count === 0 ? '[\n' : ',\n'}${jsonElement(row)}`);
            count++;
          }
          await put(text.join(''));
          await nextTurn();
        }
        await put(count === 0 ? '[]\n' : '\n]\n');
      });
      const header = [...columns];
      const csv = await zip.file(`${base}.csv`, async (put) => {
        if (header.length === 0) return;
        await put(csvLine(header));
        for await (const page of records.pages(participant, category)) {
          await put(page.map((row) => csvLine(header.map((column) => row[column]))).join(''));
          await nextTurn();
        }
      });
      if (count > 0) categories.push({ participant, category, records: count, files: [json, csv] });
    }
  }

  const { request } = heading;
  const manifest: ArchiveManifest = {
    format: 'parley-export/1',
    generatedAt: generatedAt.toISOString(),
    request: {
      id: request.id,
      type: request.type,
      tenantId: request.tenantId,
      receivedAt: request.receivedAt.toISOString(),
      completedAt: request.completedAt.toISOString(),
      jurisdiction: request.jurisdiction,
    },
    subject: heading.subject,
    participants: heading.participants.map(({ name, receipt }) => ({
      name,
      receipt,
      records: categories
        .filter((entry) => entry.participant === name)
        .reduce((sum, entry) => sum + entry.records, 0),
    })),
    categories,
  };
  await zip.file('manifest.json', (put) => put(`${JSON.stringify(manifest, null, 2)}\n`));
  await zip.end();
  return manifest;
}

/** The archive of records at hand, in memory (for small exports and tests; see writeArchive). */
export async function buildArchive(input: ArchiveInput): Promise<{ zip: Buffer; manifest: ArchiveManifest }> {
  checkParticipants(input.participants);
  const byParticipant = new Map(
    input.participants.map(({ name }) => [name, new Map<string, Record<string, unknown>[]>()]),
  );
  for await (const record of input.records) {
    const categories = byParticipant.get(record.participant);
    if (!categories) {
      throw invalidArgument(
        'EXPORT_PARTICIPANT_UNKNOWN',
        'a record names a participant that is not listed in the request',
        [{ field: 'records.participant', description: 'must be one of the listed participants' }],
      );
    }
    checkName('records.category', record.category);
    const rows = categories.get(record.category) ?? [];
    rows.push(record.data);
    categories.set(record.category, rows);
  }
  const pieces: Uint8Array[] = [];
  const manifest = await writeArchive(
    input,
    {
      categories: async (participant) => [...(byParticipant.get(participant)?.keys() ?? [])],

      pages: async function* (participant, category) {
        yield byParticipant.get(participant)?.get(category) ?? [];
      },
    },
    async (bytes) => {
      pieces.push(bytes);
    },
  );
  return { zip: Buffer.concat(pieces), manifest };
}

/** The files of a ZIP, by path. */
export function readArchive(zip: Buffer): Map<string, Buffer> {
  let unzipped: Record<string, Uint8Array>;
  try {
    unzipped = unzipSync(new Uint8Array(zip.buffer, zip.byteOffset, zip.byteLength));
  } catch {
    throw invalidArgument('ARCHIVE_UNREADABLE', 'not a readable ZIP archive');
  }
  return new Map(
    Object.entries(unzipped).map(([path, bytes]) => [
      path,
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    ]),
  );
}

/** Cells a spreadsheet would run as a formula (OWASP "CSV injection"), including the tab and CR variants. */
const FORMULA_START = /^[=+\-@\t\r]/;

function csvCell(value: unknown): string {
  let text: string;
  if (value === null || value === undefined) text = '';
  // A number is a value, never a formula: -5 stays -5.
  else if (typeof value === 'number' || typeof value === 'bigint') text = String(value);
  else if (typeof value === 'string') text = FORMULA_START.test(value) ? `'${value}` : value;
  else if (typeof value === 'boolean') text = String(value);
  else if (value instanceof Date) text = value.toISOString();
  // Nested values as JSON, which starts with { [ or ", never a formula.
  else text = JSON.stringify(value) ?? '';
  // RFC 4180: a field holding a comma, quote or line break is quoted, and its quotes doubled.
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * CSV per RFC 4180 (CRLF line ends): a header of the union of the rows' top-level keys in first-seen
 * order, then one line per row; nested values are written as JSON, missing ones as empty cells, and text
 * starting with = + - @ (or tab, CR) gets a leading single quote so spreadsheets show it rather than run it.
 */
export function toCsv(rows: Record<string, unknown>[]): string {
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  if (columns.length === 0) return '';
  return [csvLine(columns), ...rows.map((row) => csvLine(columns.map((column) => row[column])))].join('');
}

/** One CSV line (see toCsv). */
function csvLine(values: unknown[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}
