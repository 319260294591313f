const colours = [36, 35, 33, 32, 34, 96, 95, 93];
const levelColours: Record<string, number> = {
  trace: 90,
  debug: 90,
  info: 37,
  warn: 33,
  error: 31,
  fatal: 31,
};
const hidden = new Set(['level', 'time', 'msg', 'service', 'version', 'pid', 'hostname']);

export interface LogPrinter {
  line(source: string, text: string, stream: 'stdout' | 'stderr'): void;
  banner(text: string): void;
  info(text: string): void;
}

/** Prefixes each child's lines with its name in its own colour; pino JSON becomes one readable line. */
export function createPrinter(options: { colour: boolean; write?: (text: string) => void }): LogPrinter {
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  const paint = (code: number, text: string) => (options.colour ? `\x1b[${code}m${text}\x1b[0m` : text);
  const assigned = new Map<string, number>();
  const colourOf = (source: string) => {
    if (!assigned.has(source)) assigned.set(source, colours[assigned.size % colours.length]!);
    return assigned.get(source)!;
  };
  const width = 10;
  return {
    line(source, text, stream) {
      const prefix = paint(colourOf(source), `${source.padEnd(width)}|`);
      let body = text;
      try {
        const record = JSON.parse(text) as Record<string, unknown>;
        if (record && typeof record === 'object' && 'msg' in record) {
          const level = String(record.level ?? 'info');
          const extras = Object.entries(record)
            .filter(([key]) => !hidden.has(key))
            .map(
              ([key, value]) => `${key}=${typeof value === 'object' ? JSON.stringify(value) : String(value)}`,
            )
            .join(' ');
          body = `${paint(levelColours[level] ?? 37, level.toUpperCase().padEnd(5))} ${String(record.msg)}${extras ? ` ${paint(90, extras)}` : ''}`;
        }
      } catch {
        if (stream === 'stderr') body = paint(31, text);
      }
      write(`${prefix} ${body}\n`);
    },
    banner(text) {
      const rule = '!'.repeat(Math.min(100, text.length + 8));
      write(`\n${paint(31, rule)}\n${paint(31, `!!! ${text} !!!`)}\n${paint(31, rule)}\n\n`);
    },
    info(text) {
      write(`${paint(1, 'parley    |')} ${text}\n`);
    },
  };
}
