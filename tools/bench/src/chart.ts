// A small line chart as SVG, without dependencies: axes with round ticks, axis labels, a legend. Used by
// `npm run bench` to draw each scenario's series (tools/bench/results/<scenario>-<chart>.svg).

/** One line of a chart: its legend label, the unit of its values (y) and of its x, and its points. */
export interface ChartSeries {
  label: string;
  unit: string;
  /** What x counts (the x axis's label); seconds when not given. */
  xUnit?: string;
  points: [number, number][];
}

const WIDTH = 720;
const HEIGHT = 360;
const MARGIN = { top: 36, right: 24, bottom: 48, left: 64 };
const LEGEND_ROW = 16;
// Colour-blind-safe palette (Okabe-Ito).
const COLOURS = ['#0072b2', '#e69f00', '#009e73', '#d55e00', '#cc79a7', '#56b4e9', '#f0e442', '#000000'];

/** Text as it may stand inside an SVG element or a double-quoted attribute. */
export function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (character) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[character]!,
  );
}

/**
 * Round tick values covering [min, max]: steps of 1, 2 or 5 times a power of ten, about `count` of them,
 * the first at or below min and the last at or above max. A range of one value is widened around it.
 */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  if (max < min) [min, max] = [max, min];
  if (max === min) {
    const pad = min === 0 ? 1 : Math.abs(min) / 2;
    min -= pad;
    max += pad;
  }
  const rough = (max - min) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = ([1, 2, 5, 10].find((factor) => factor * power >= rough) ?? 10) * power;
  const first = Math.floor(min / step) * step;
  const ticks: number[] = [];
  for (let value = first; value < max + step / 2; value += step)
    ticks.push(Number((Math.round(value / step) * step).toPrecision(12)));
  if (ticks[ticks.length - 1]! < max) ticks.push(Number((ticks[ticks.length - 1]! + step).toPrecision(12)));
  return ticks;
}

/** A tick label: whole numbers grouped by thousands, others with at most three significant decimals. */
function tickLabel(value: number): string {
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  return String(Number(value.toPrecision(3)));
}

/** A linear map from [domainMin, domainMax] onto [rangeMin, rangeMax]. */
export function linearScale(domainMin: number, domainMax: number, rangeMin: number, rangeMax: number) {
  const span = domainMax - domainMin || 1;
  return (value: number) => rangeMin + ((value - domainMin) / span) * (rangeMax - rangeMin);
}

const coordinate = (value: number) => String(Math.round(value * 10) / 10);

/**
 * The chart as an SVG document. The y axis starts at 0 (rates and latencies), or lower when a value is
 * negative; points that are not finite numbers are left out.
 */
export function lineChartSvg(title: string, series: ChartSeries[]): string {
  const lines = series.map((line) => ({
    ...line,
    points: line.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)),
  }));
  const xs = lines.flatMap((line) => line.points.map(([x]) => x));
  const ys = lines.flatMap((line) => line.points.map(([, y]) => y));
  const xTicks = niceTicks(xs.length ? Math.min(...xs) : 0, xs.length ? Math.max(...xs) : 1);
  const yTicks = niceTicks(Math.min(0, ...ys), ys.length ? Math.max(...ys) : 1);
  const legendHeight = lines.length * LEGEND_ROW;
  const plot = {
    left: MARGIN.left,
    right: WIDTH - MARGIN.right,
    top: MARGIN.top + legendHeight,
    bottom: HEIGHT + legendHeight - MARGIN.bottom,
  };
  const x = linearScale(xTicks[0]!, xTicks[xTicks.length - 1]!, plot.left, plot.right);
  const y = linearScale(yTicks[0]!, yTicks[yTicks.length - 1]!, plot.bottom, plot.top);
  const units = [...new Set(lines.map((line) => line.unit))].join(', ');
  const xUnit = lines[0]?.xUnit ?? 's';
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT + legendHeight}" viewBox="0 0 ${WIDTH} ${HEIGHT + legendHeight}" font-family="sans-serif" font-size="11">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${WIDTH / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  lines.forEach((line, index) => {
    const top = MARGIN.top - 8 + index * LEGEND_ROW;
    const colour = COLOURS[index % COLOURS.length]!;
    parts.push(
      `<line x1="${plot.left}" y1="${top}" x2="${plot.left + 20}" y2="${top}" stroke="${colour}" stroke-width="2"/>`,
      `<text x="${plot.left + 26}" y="${top + 4}">${escapeXml(line.label)}</text>`,
    );
  });
  for (const tick of yTicks) {
    const at = coordinate(y(tick));
    parts.push(
      `<line x1="${plot.left}" y1="${at}" x2="${plot.right}" y2="${at}" stroke="#e5e5e5"/>`,
      `<text x="${plot.left - 6}" y="${at}" dy="4" text-anchor="end">${escapeXml(tickLabel(tick))}</text>`,
    );
  }
  for (const tick of xTicks) {
    const at = coordinate(x(tick));
    parts.push(
      `<line x1="${at}" y1="${plot.bottom}" x2="${at}" y2="${plot.bottom + 4}" stroke="#333333"/>`,
      `<text x="${at}" y="${plot.bottom + 16}" text-anchor="middle">${escapeXml(tickLabel(tick))}</text>`,
    );
  }
  parts.push(
    `<line x1="${plot.left}" y1="${plot.bottom}" x2="${plot.right}" y2="${plot.bottom}" stroke="#333333"/>`,
    `<line x1="${plot.left}" y1="${plot.top}" x2="${plot.left}" y2="${plot.bottom}" stroke="#333333"/>`,
    `<text x="${(plot.left + plot.right) / 2}" y="${plot.bottom + 36}" text-anchor="middle">${escapeXml(xUnit)}</text>`,
    `<text transform="translate(16 ${(plot.top + plot.bottom) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(units)}</text>`,
  );
  lines.forEach((line, index) => {
    if (line.points.length === 0) return;
    const colour = COLOURS[index % COLOURS.length]!;
    const path = line.points.map(([px, py]) => `${coordinate(x(px))},${coordinate(y(py))}`).join(' ');
    parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="2" points="${path}"/>`);
    if (line.points.length === 1)
      parts.push(`<circle cx="${path.split(',')[0]}" cy="${path.split(',')[1]}" r="3" fill="${colour}"/>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
