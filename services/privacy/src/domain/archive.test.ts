import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import {
  buildArchive,
  readArchive,
  toCsv,
  writeArchive,
  type ArchiveInput,
  type ArchiveManifest,
  type ExportRecord,
} from './archive';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

const request = {
  id: 'r_1',
  type: 'access',
  tenantId: 't_1',
  receivedAt: new Date('2024-06-15T10:00:00Z'),
  completedAt: new Date('2024-06-20T16:30:00Z'),
  jurisdiction: 'gdpr',
};
const generatedAt = new Date('2024-06-20T16:31:00Z');

// Records of subject A only: what the participants returned for this request.
const subjectARecords: ExportRecord[] = [
  {
    participant: 'messaging',
    category: 'messages',
    data: { id: 'm_1', to: '+447700900123', body: 'Hi, "Bob"', sentAt: '2024-06-01T08:00:00.000Z' },
  },
  { participant: 'numbering', category: 'numbers', data: { number: '+447700900123', since: '2024-01-01' } },
  {
    participant: 'messaging',
    category: 'messages',
    data: { id: 'm_2', to: '+447700900456', body: 'line one\nline two', media: { count: 2, types: ['jpg'] } },
  },
  { participant: 'messaging', category: 'contacts', data: { name: 'Bob', phone: '+447700900456' } },
];

function input(overrides: Partial<ArchiveInput> = {}): ArchiveInput {
  return {
    request,
    subject: { phone: '+447700900123', accountId: 'a_42' },
    participants: [
      { name: 'messaging', receipt: { exportedAt: '2024-06-20T16:00:00.000Z', records: 3 } },
      { name: 'numbering', receipt: { exportedAt: '2024-06-20T16:01:00.000Z', records: 1 } },
      { name: 'billing', receipt: { exportedAt: '2024-06-20T16:02:00.000Z', records: 0 } },
    ],
    records: subjectARecords,
    generatedAt,
    ...overrides,
  };
}

const text = (files: Map<string, Buffer>, path: string) => files.get(path)?.toString('utf8');

describe('buildArchive', () => {
  describe('manifest', () => {
    it('lists every participant, including one with no records, with its record count', async () => {
      const { manifest } = await buildArchive(input());
      expect(manifest.participants).toEqual([
        { name: 'messaging', receipt: { exportedAt: '2024-06-20T16:00:00.000Z', records: 3 }, records: 3 },
        { name: 'numbering', receipt: { exportedAt: '2024-06-20T16:01:00.000Z', records: 1 }, records: 1 },
        { name: 'billing', receipt: { exportedAt: '2024-06-20T16:02:00.000Z', records: 0 }, records: 0 },
      ]);
    });

    it('lists each (participant, category) with its record count and its two files', async () => {
      const { manifest } = await buildArchive(input());
      expect(
        manifest.categories.map(({ participant, category, records, files }) => ({
          participant,
          category,
          records,
          paths: files.map((file) => file.path),
        })),
      ).toEqual([
        {
          participant: 'messaging',
          category: 'contacts',
          records: 1,
          paths: ['data/messaging/contacts.json', 'data/messaging/contacts.csv'],
        },
        {
          participant: 'messaging',
          category: 'messages',
          records: 2,
          paths: ['data/messaging/messages.json', 'data/messaging/messages.csv'],
        },
        {
          participant: 'numbering',
          category: 'numbers',
          records: 1,
          paths: ['data/numbering/numbers.json', 'data/numbering/numbers.csv'],
        },
      ]);
    });

    it('gives the sha256 and size of every file as stored in the ZIP', async () => {
      const { zip, manifest } = await buildArchive(input());
      const files = readArchive(zip);
      const listed = manifest.categories.flatMap((category) => category.files);
      expect(listed).toHaveLength(6);
      for (const file of listed) {
        const bytes = files.get(file.path);
        expect(bytes).toBeDefined();
        expect(file.sha256).toBe(sha256(bytes!));
        expect(file.bytes).toBe(bytes!.length);
      }
    });

    it('is stored as manifest.json and describes the request', async () => {
      const { zip, manifest } = await buildArchive(input());
      const stored = JSON.parse(text(readArchive(zip), 'manifest.json')!) as ArchiveManifest;
      expect(stored).toEqual(manifest);
      expect(manifest).toMatchObject({
        format: 'parley-export/1',
        generatedAt: '2024-06-20T16:31:00.000Z',
        request: {
          id: 'r_1',
          type: 'access',
          tenantId: 't_1',
          receivedAt: '2024-06-15T10:00:00.000Z',
          completedAt: '2024-06-20T16:30:00.000Z',
          jurisdiction: 'gdpr',
        },
        subject: { phone: '+447700900123', accountId: 'a_42' },
      });
    });
  });

  describe('contents', () => {
    it('holds the manifest and exactly the listed files, nothing else', async () => {
      const { zip, manifest } = await buildArchive(input());
      const paths = [...readArchive(zip).keys()].sort();
      const listed = manifest.categories.flatMap((category) => category.files.map((file) => file.path));
      expect(paths).toEqual(['manifest.json', ...listed].sort());
    });

    it('writes each category as a JSON array of its records, in the order given', async () => {
      const files = readArchive((await buildArchive(input())).zip);
      expect(JSON.parse(text(files, 'data/messaging/messages.json')!)).toEqual([
        subjectARecords[0]!.data,
        subjectARecords[2]!.data,
      ]);
      expect(JSON.parse(text(files, 'data/messaging/contacts.json')!)).toEqual([subjectARecords[3]!.data]);
      expect(JSON.parse(text(files, 'data/numbering/numbers.json')!)).toEqual([subjectARecords[1]!.data]);
    });

    it('writes each category as CSV of the same records', async () => {
      const files = readArchive((await buildArchive(input())).zip);
      expect(text(files, 'data/messaging/messages.csv')).toBe(
        'id,to,body,sentAt,media\r\n' +
          'm_1,\'+447700900123,"Hi, ""Bob""",2024-06-01T08:00:00.000Z,\r\n' +
          'm_2,\'+447700900456,"line one\nline two",,"{""count"":2,""types"":[""jpg""]}"\r\n',
      );
      expect(text(files, 'data/numbering/numbers.csv')).toBe("number,since\r\n'+447700900123,2024-01-01\r\n");
    });

    it('contains only the records given: counts add up to the input', async () => {
      const { zip, manifest } = await buildArchive(input());
      const files = readArchive(zip);
      const inArchive = manifest.categories.flatMap((category) => {
        const json = category.files.find((file) => file.path.endsWith('.json'))!;
        return JSON.parse(text(files, json.path)!) as unknown[];
      });
      expect(inArchive).toHaveLength(subjectARecords.length);
      expect(manifest.participants.reduce((sum, participant) => sum + participant.records, 0)).toBe(4);
      expect(inArchive).toEqual(expect.arrayContaining(subjectARecords.map((record) => record.data)));
      expect(files.get('data/billing/anything.json')).toBeUndefined();
    });

    it('builds a manifest-only archive when nobody holds anything', async () => {
      const { zip, manifest } = await buildArchive(input({ records: [] }));
      expect(manifest.categories).toEqual([]);
      expect(manifest.participants.map((participant) => participant.records)).toEqual([0, 0, 0]);
      expect([...readArchive(zip).keys()]).toEqual(['manifest.json']);
    });

    it('reads records from an async iterable', async () => {
      async function* stream() {
        for (const record of subjectARecords) yield record;
      }
      const fromStream = await buildArchive(input({ records: stream() }));
      const fromArray = await buildArchive(input());
      expect(fromStream.manifest).toEqual(fromArray.manifest);
      expect(fromStream.zip.equals(fromArray.zip)).toBe(true);
    });
  });

  describe('EXPORT_NAME_UNSAFE', () => {
    it.each(['../etc', 'a/b', 'Messaging', 'a.b', '', ' x', 'x'.repeat(65), 'é'])(
      'refuses the participant name %j',
      async (name) => {
        await expect(
          buildArchive(input({ participants: [{ name, receipt: null }], records: [] })),
        ).rejects.toMatchObject({
          kind: 'invalid_argument',
          reason: 'EXPORT_NAME_UNSAFE',
          fieldViolations: [expect.objectContaining({ field: 'participants[0].name' })],
        });
      },
    );

    it.each(['../../manifest', 'Messages', 'sms.log', 'a\\b'])(
      'refuses the category name %j',
      async (category) => {
        const records = [{ participant: 'messaging', category, data: { id: 1 } }];
        await expect(buildArchive(input({ records }))).rejects.toMatchObject({
          kind: 'invalid_argument',
          reason: 'EXPORT_NAME_UNSAFE',
          fieldViolations: [expect.objectContaining({ field: 'records.category' })],
        });
      },
    );

    it('accepts lowercase letters, digits, _ and -', async () => {
      const records = [{ participant: 'sms-gw_2', category: 'delivery_reports-v2', data: { id: 1 } }];
      const { manifest } = await buildArchive(
        input({ participants: [{ name: 'sms-gw_2', receipt: {} }], records }),
      );
      expect(manifest.categories[0]?.files[0]?.path).toBe('data/sms-gw_2/delivery_reports-v2.json');
    });
  });

  it('EXPORT_PARTICIPANT_UNKNOWN: refuses a record from a participant that is not listed', async () => {
    const records = [
      ...subjectARecords,
      { participant: 'identity', category: 'accounts', data: { id: 'a_9' } },
    ];
    await expect(buildArchive(input({ records }))).rejects.toMatchObject({
      kind: 'invalid_argument',
      reason: 'EXPORT_PARTICIPANT_UNKNOWN',
    });
  });

  it('EXPORT_PARTICIPANT_DUPLICATE: refuses a participant listed twice', async () => {
    const participants = [
      { name: 'messaging', receipt: {} },
      { name: 'messaging', receipt: {} },
    ];
    await expect(buildArchive(input({ participants, records: [] }))).rejects.toMatchObject({
      reason: 'EXPORT_PARTICIPANT_DUPLICATE',
    });
  });
});

describe('writeArchive', () => {
  // Records whose keys differ from page to page: the CSV header is the union over every page.
  const rows = Array.from({ length: 1_200 }, (_, index) => ({
    id: `m_${index}`,
    body: `${createHash('sha256').update(String(index)).digest('hex')} = "${index}"`,
    ...(index % 500 === 499 ? { late: index } : {}),
  }));
  const pagesOf = (size: number) => {
    const pages: Record<string, unknown>[][] = [];
    for (let at = 0; at < rows.length; at += size) pages.push(rows.slice(at, at + size));
    return pages;
  };

  async function streamed(pageSize: number) {
    const pieces: Uint8Array[] = [];
    const manifest = await writeArchive(
      { ...input(), participants: [{ name: 'messaging', receipt: {} }] },
      {
        categories: async () => Promise.resolve(['messages']),
        pages: async function* () {
          for (const page of pagesOf(pageSize)) yield await Promise.resolve(page);
        },
      },
      async (bytes) => {
        pieces.push(bytes);
        return Promise.resolve();
      },
    );
    return { manifest, pieces, files: readArchive(Buffer.concat(pieces)) };
  }

  it('writes a category read in many pages exactly as one given whole', async () => {
    const { files, manifest } = await streamed(7);
    const whole = readArchive(
      (
        await buildArchive({
          ...input(),
          participants: [{ name: 'messaging', receipt: {} }],
          records: rows.map((data) => ({ participant: 'messaging', category: 'messages', data })),
        })
      ).zip,
    );
    expect(text(files, 'data/messaging/messages.json')).toBe(`${JSON.stringify(rows, null, 2)}\n`);
    expect(text(files, 'data/messaging/messages.csv')).toBe(toCsv(rows));
    expect(text(files, 'data/messaging/messages.csv')).toBe(text(whole, 'data/messaging/messages.csv'));
    expect(text(files, 'manifest.json')).toBe(text(whole, 'manifest.json'));
    expect(manifest.categories).toEqual([
      expect.objectContaining({ participant: 'messaging', category: 'messages', records: rows.length }),
    ]);
  });

  it('hands the ZIP on in pieces as it is made, not once at the end', async () => {
    const { pieces } = await streamed(100);
    expect(pieces.length).toBeGreaterThan(2);
  });
});

describe('readArchive', () => {
  it('ARCHIVE_UNREADABLE: refuses bytes that are not a ZIP', () => {
    expect(() => readArchive(Buffer.from('not a zip at all'))).toThrow(
      expect.objectContaining({ reason: 'ARCHIVE_UNREADABLE' }),
    );
  });
});

describe('toCsv', () => {
  it('writes a header of the union of keys in first-seen order, and empty cells for missing values', () => {
    expect(
      toCsv([
        { a: 1, b: 2 },
        { c: 3, a: 4 },
        { b: null, d: undefined },
      ]),
    ).toBe('a,b,c,d\r\n1,2,,\r\n4,,3,\r\n,,,\r\n');
  });

  it('writes nothing for no rows or no columns', () => {
    expect(toCsv([])).toBe('');
    expect(toCsv([{}])).toBe('');
  });

  it('quotes fields with commas, quotes and line breaks, doubling quotes (RFC 4180)', () => {
    expect(
      toCsv([{ comma: 'a,b', quote: 'say "hi"', lf: 'one\ntwo', crlf: 'one\r\ntwo', plain: 'plain text' }]),
    ).toBe('comma,quote,lf,crlf,plain\r\n"a,b","say ""hi""","one\ntwo","one\r\ntwo",plain text\r\n');
  });

  it('writes nested values as JSON, booleans and numbers as text, Dates as ISO strings', () => {
    expect(
      toCsv([
        {
          nested: { k: 'v', list: [1, 2] },
          list: ['x'],
          yes: true,
          count: 12.5,
          at: new Date('2024-06-15T10:00:00Z'),
        },
      ]),
    ).toBe(
      'nested,list,yes,count,at\r\n"{""k"":""v"",""list"":[1,2]}","[""x""]",true,12.5,2024-06-15T10:00:00.000Z\r\n',
    );
  });

  describe('formula injection', () => {
    it.each([
      ['=', '=HYPERLINK("http://evil","x")', `"'=HYPERLINK(""http://evil"",""x"")"`],
      ['+', '+1+1', "'+1+1"],
      ['-', '-2+3+cmd|calc!A0', "'-2+3+cmd|calc!A0"],
      ['@', '@SUM(A1:A2)', "'@SUM(A1:A2)"],
      ['tab', '\t=1', "'\t=1"],
      ['carriage return', '\r=1', `"'\r=1"`],
    ])('prefixes text starting with %s with a single quote', (_start, value, cell) => {
      expect(toCsv([{ value }])).toBe(`value\r\n${cell}\r\n`);
    });

    it('prefixes before quoting, so a quoted cell still starts with the quote mark', () => {
      expect(toCsv([{ value: '=1,2' }])).toBe(`value\r\n"'=1,2"\r\n`);
    });

    it('guards header cells too', () => {
      expect(toCsv([{ '=cmd': 1 }])).toBe("'=cmd\r\n1\r\n");
    });

    it('leaves numbers and text that does not start with a trigger alone', () => {
      expect(toCsv([{ negative: -5, inner: 'a=b', email: 'me@example.com' }])).toBe(
        'negative,inner,email\r\n-5,a=b,me@example.com\r\n',
      );
    });
  });
});
