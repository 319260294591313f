// Reads a PDF on stdin with pdfjs-dist (Mozilla's PDF reader) and prints { pages, text: [page text...] }
// as JSON. Run as its own Node process because pdfjs-dist is ESM only (Jest compiles tests to CommonJS).
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const document = await getDocument({ data: new Uint8Array(Buffer.concat(chunks)), verbosity: 0 }).promise;
const text = [];
for (let number = 1; number <= document.numPages; number += 1) {
  const page = await document.getPage(number);
  const content = await page.getTextContent();
  text.push(content.items.map((item) => ('str' in item ? item.str : '')).join(' '));
}
// pdfjs prints its warnings (no canvas: not needed for text) to stdout: the answer is the last line.
process.stdout.write(
  '\n' + JSON.stringify({ pages: document.numPages, text, info: (await document.getMetadata()).info }),
);
