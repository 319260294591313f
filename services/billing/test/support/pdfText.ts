import { spawn } from 'node:child_process';
import { join } from 'node:path';

export interface PdfText {
  pages: number;
  /** Each page's text, items joined by a space. */
  text: string[];
  info: Record<string, unknown>;
}

/** Opens a PDF with pdfjs-dist in a child process (it is ESM only) and answers its pages' text. */
export function pdfText(pdf: Buffer): Promise<PdfText> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(__dirname, 'pdfText.mjs')], { stdio: 'pipe' });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`the PDF did not open: ${Buffer.concat(err).toString()}`));
      else resolve(JSON.parse(Buffer.concat(out).toString().trim().split('\n').pop()!) as PdfText);
    });
    child.stdin.end(pdf);
  });
}
