import { readFileSync } from 'node:fs';
import PDFDocument from 'pdfkit';
import { formatDecimal, Money, normalizeDecimal, type Decimal } from '@parley/kit';
import type { InvoiceLineRow, InvoiceParty, InvoiceRow } from '../db/invoiceSchema';

/** Lines read from the database per page of the cursor (the PDF holds no more than this in memory). */
export const PDF_LINE_BATCH = 500;

const A4 = { width: 595.28, height: 841.89 };
const MARGIN = 40;
const ROW = 12;
/** Rows of lines on the first page (below the header) and on every other page. */
const FIRST_PAGE_ROWS = 38;
const PAGE_ROWS = 58;

const CATEGORY_LABELS: Record<string, string> = {
  sms_outbound: 'SMS sent',
  mms_outbound: 'MMS sent',
  message_inbound: 'Message received',
  number_setup: 'Number setup',
  number_rent: 'Number rent',
  call_inbound: 'Call received',
  call_outbound: 'Call made',
  credit: 'Credit',
};

/** Columns of the lines table: title, x, width, alignment. */
const COLUMNS = [
  { title: '#', width: 34, align: 'right' },
  { title: 'Time (UTC)', width: 82, align: 'left' },
  { title: 'Item', width: 88, align: 'left' },
  { title: 'From', width: 72, align: 'left' },
  { title: 'To', width: 72, align: 'left' },
  { title: 'Quantity', width: 52, align: 'right' },
  { title: 'Unit price', width: 57, align: 'right' },
  { title: 'Amount', width: 58, align: 'right' },
] as const;

/**
 * PDF/A needs every font embedded: Noto Sans (SIL Open Font License, from @fontsource/noto-sans), its Latin
 * subset (Basic Latin, Latin-1, the euro sign, general punctuation), read once. Characters outside it print
 * as the font's missing-glyph box.
 */
let fonts: { regular: Buffer; bold: Buffer } | undefined;
function embeddedFonts() {
  fonts ??= {
    regular: readFileSync(require.resolve('@fontsource/noto-sans/files/noto-sans-latin-400-normal.woff')),
    bold: readFileSync(require.resolve('@fontsource/noto-sans/files/noto-sans-latin-700-normal.woff')),
  };
  return fonts;
}
const REGULAR = 'NotoSans';
const BOLD = 'NotoSans-Bold';

const decimal = (value: Decimal) => formatDecimal(normalizeDecimal(value));
const date = (at: Date) => at.toISOString().slice(0, 10);
const time = (at: Date) => at.toISOString().slice(0, 19).replace('T', ' ');

/** How many pages an invoice of `lines` lines takes, so every page can say "page n of m" as it is written. */
export function pageCount(lines: number, summaryRows: number): number {
  const firstPageLines = Math.min(lines, FIRST_PAGE_ROWS);
  let pages = 1 + Math.ceil((lines - firstPageLines) / PAGE_ROWS);
  const onLast = lines <= FIRST_PAGE_ROWS ? lines : (lines - FIRST_PAGE_ROWS) % PAGE_ROWS || PAGE_ROWS;
  const room = (pages === 1 ? FIRST_PAGE_ROWS : PAGE_ROWS) - onLast;
  if (room < summaryRows) pages += 1;
  return pages;
}

/**
 * Writes the invoice as a PDF, reading its lines a batch at a time from `linesAfter` (a keyset cursor on
 * the line number) and handing the bytes to `emit` as they are produced, waiting for it (back-pressure):
 * an invoice of 100,000 lines never sits whole in memory, only one batch and the bytes it made.
 */
export async function writeInvoicePdf(
  invoice: InvoiceRow,
  linesAfter: (lineNo: number, limit: number) => Promise<InvoiceLineRow[]>,
  emit: (chunk: Buffer) => Promise<void>,
): Promise<void> {
  const doc = new PDFDocument({
    // PDF/A-1b (ISO 19005-1, level B): embedded fonts, XMP metadata and an sRGB output intent, all
    // written by pdfkit; what an archive or an accountant's software expects of an invoice.
    subset: 'PDF/A-1b',
    pdfVersion: '1.4',
    size: 'A4',
    margin: MARGIN,
    autoFirstPage: false,
    bufferPages: false,
    compress: true,
    info: {
      Title: `${invoice.kind === 'credit_note' ? 'Credit note' : 'Invoice'} ${invoice.number}`,
      Author: invoice.seller.name,
      Subject: `Billing period ${invoice.period}`,
    },
  });
  doc.registerFont(REGULAR, embeddedFonts().regular);
  doc.registerFont(BOLD, embeddedFonts().bold);
  const pending: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => pending.push(chunk));
  const ended = new Promise<void>((resolve, reject) => {
    doc.once('end', resolve);
    doc.once('error', reject);
  });
  const flush = async () => {
    // The document's stream hands on what it was given on a later turn of the event loop.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (pending.length > 0) await emit(pending.shift()!);
  };
  const money = (minor: bigint) =>
    `${Money.of(minor, invoice.currency).toDecimalString()} ${invoice.currency}`;
  const categories = Object.entries(invoice.subtotals);
  const summaryRows = categories.length + 5;
  const pages = pageCount(invoice.lineCount, summaryRows);
  let page = 0;
  let y = 0;

  const newPage = () => {
    doc.addPage();
    page += 1;
    // The footer sits in the bottom margin: lift the margin while writing it, or pdfkit would add a page.
    const bottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    doc.font(REGULAR).fontSize(7).fillColor('#555555');
    doc.text(`${invoice.number} · page ${page} of ${pages}`, MARGIN, A4.height - MARGIN + 10, {
      width: A4.width - 2 * MARGIN,
      align: 'right',
      lineBreak: false,
    });
    doc.fillColor('black');
    doc.page.margins.bottom = bottom;
    y = MARGIN;
  };
  const tableHeader = () => {
    doc.font(BOLD).fontSize(7);
    row(COLUMNS.map((column) => column.title));
    doc.font(REGULAR).fontSize(7);
  };
  const row = (cells: readonly string[]) => {
    let x = MARGIN;
    cells.forEach((cell, index) => {
      const column = COLUMNS[index]!;
      doc.text(cell, x, y, {
        width: column.width - 4,
        align: column.align,
        lineBreak: false,
        ellipsis: true,
      });
      x += column.width;
    });
    y += ROW;
  };
  const party = (title: string, who: InvoiceParty, x: number) => {
    doc.font(BOLD).fontSize(9).text(title, x, y, { width: 240 });
    doc.font(REGULAR).fontSize(9);
    const lines = [who.name, ...who.address.split(/\n|;/).map((part) => part.trim()), who.country];
    if (who.taxId) lines.push(`Tax id: ${who.taxId}`);
    doc.text(lines.filter(Boolean).join('\n'), x, y + 12, { width: 240 });
  };

  // Page 1: who, what, when.
  newPage();
  const title = invoice.kind === 'credit_note' ? 'Credit note' : 'Invoice';
  doc.font(BOLD).fontSize(18).text(`${title} ${invoice.number}`, MARGIN, y);
  y += 28;
  doc.font(REGULAR).fontSize(9);
  const facts = [
    `Issue date: ${date(invoice.issuedAt)}`,
    `Due date: ${date(invoice.dueAt)}`,
    `Billing period: ${invoice.period}`,
    `Currency: ${invoice.currency}`,
    `Status: ${invoice.state}`,
  ];
  if (invoice.reason) facts.push(`Reason: ${invoice.reason}`);
  doc.text(facts.join('\n'), MARGIN, y);
  y += 70;
  party('Seller', invoice.seller, MARGIN);
  party('Buyer', invoice.buyer, MARGIN + 260);
  y += 110;
  tableHeader();
  let rowsLeft = FIRST_PAGE_ROWS;

  // The lines, a batch at a time.
  let after = 0;
  for (;;) {
    const batch = await linesAfter(after, PDF_LINE_BATCH);
    for (const line of batch) {
      if (rowsLeft === 0) {
        newPage();
        tableHeader();
        rowsLeft = PAGE_ROWS;
      }
      row([
        String(line.lineNo),
        time(line.occurredAt),
        `${CATEGORY_LABELS[line.category] ?? line.category}${line.country ? ` ${line.country}` : ''}`,
        line.partyFrom ?? '',
        line.partyTo ?? '',
        `${decimal(line.quantity)} ${line.unit}`,
        decimal(line.unitPrice),
        Money.of(line.amountMinor, invoice.currency).toDecimalString(),
      ]);
      rowsLeft -= 1;
    }
    await flush();
    if (batch.length < PDF_LINE_BATCH) break;
    after = batch[batch.length - 1]!.lineNo;
  }

  // Subtotals per category, tax, total.
  if (rowsLeft < summaryRows) {
    newPage();
  }
  y += ROW;
  const summary = (label: string, value: string, bold = false) => {
    doc.font(bold ? BOLD : REGULAR).fontSize(bold ? 10 : 8);
    doc.text(label, MARGIN + 250, y, { width: 150, lineBreak: false });
    doc.text(value, MARGIN + 400, y, { width: 115, align: 'right', lineBreak: false });
    y += ROW + (bold ? 2 : 0);
  };
  for (const [category, minor] of categories) {
    summary(`Subtotal ${CATEGORY_LABELS[category] ?? category}`, money(BigInt(minor)));
  }
  summary('Subtotal', money(invoice.subtotalMinor));
  summary(
    `Tax ${decimal(invoice.taxPercent)}%${invoice.taxCountry ? ` (${invoice.taxCountry})` : ''}`,
    money(invoice.taxMinor),
  );
  summary('Total', money(invoice.totalMinor), true);
  doc.end();
  await ended;
  await flush();
}
