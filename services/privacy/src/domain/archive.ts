/**
 * The export archive handed to a data subject for an access or portability request: one ZIP with a
 * manifest (what was asked, which participants answered, which files hold what, with their sha256) and,
 * for every participant and data category, the records as JSON (the exact copy) and as CSV (for
 * spreadsheets). Built in memory with fflate.
 */
import { createHash } from 'node:crypto';
import { strToU8, unzipSync, zipSync, type Zippable } from 'fflate';
import { invalidArgument, type FieldViolation } from '@parley/kit';

export interface ExportRecord {
  participant: string;
  category: string;
  data: Record<string, unknown>;
}

export interface ArchiveInput {
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
  /** Only the subject's records; each must name a listed participant. */
  records: Iterable<ExportRecord> | AsyncIterable<ExportRecord>;
  /** When the archive was made; defaults to now. */
  generatedAt?: Date;
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

function checkName(field: string, name: string): void {
  if (!SAFE_NAME.test(name)) {
    const violation: FieldViolation = { field, description: '1-64 characters of a-z, 0-9, _ and -' };
    throw invalidArgument('EXPORT_NAME_UNSAFE', `${field}: ${violation.description}`, [violation]);
  }
}

export async function buildArchive(input: ArchiveInput): Promise<{ zip: Buffer; manifest: ArchiveManifest }> {
  const generatedAt = input.generatedAt ?? new Date();
  const byParticipant = new Map<string, Map<string, Record<string, unknown>[]>>();
  input.participants.forEach(({ name }, index) => {
    checkName(`participants[${index}].name`, name);
    if (byParticipant.has(name)) {
      throw invalidArgument('EXPORT_PARTICIPANT_DUPLICATE', `participant ${name} is listed twice`);
    }
    byParticipant.set(name, new Map());
  });

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

  const files: Record<string, Uint8Array> = {};
  const addFile = (path: string, text: string): ArchiveFile => {
    const bytes = strToU8(text);
    files[path] = bytes;
    return { path, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length };
  };

  const categories: ArchiveManifest['categories'] = [];
  for (const [participant, byCategory] of byParticipant) {
    for (const category of [...byCategory.keys()].sort()) {
      const rows = byCategory.get(category) ?? [];
      const base = `data/${participant}/${category}`;
      categories.push({
        participant,
        category,
        records: rows.length,
        files: [
          addFile(`${base}.json`, `${JSON.stringify(rows, null, 2)}\n`),
          addFile(`${base}.csv`, toCsv(rows)),
        ],
      });
    }
  }

  const { request } = input;
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
    subject: input.subject,
    participants: input.participants.map(({ name, receipt }) => ({
      name,
      receipt,
      records: categories
        .filter((entry) => entry.participant === name)
        .reduce((sum, entry) => sum + entry.records, 0),
    })),
    categories,
  };

  const zippable: Zippable = { 'manifest.json': strToU8(`${JSON.stringify(manifest, null, 2)}\n`), ...files };
  const zipped = zipSync(zippable, { mtime: generatedAt });
  return { zip: Buffer.from(zipped.buffer, zipped.byteOffset, zipped.byteLength), manifest };
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
  const lines = [columns.map(csvCell), ...rows.map((row) => columns.map((column) => csvCell(row[column])))];
  return lines.map((cells) => `${cells.join(',')}\r\n`).join('');
}
