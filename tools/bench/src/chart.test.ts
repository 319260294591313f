import { describe, expect, it } from '@jest/globals';
import { escapeXml, lineChartSvg, linearScale, niceTicks } from './chart';

/** The points attribute of each polyline, as numbers. */
function polylines(svg: string): [number, number][][] {
  return [...svg.matchAll(/<polyline [^>]*points="([^"]*)"/g)].map((match) =>
    match[1]!.split(' ').map((pair) => pair.split(',').map(Number) as [number, number]),
  );
}

describe('bench charts', () => {
  it('picks round ticks that cover the values', () => {
    expect(niceTicks(0, 100)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(0, 97)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(3, 1234)).toEqual([0, 500, 1000, 1500]);
    expect(niceTicks(0, 0.37)).toEqual([0, 0.1, 0.2, 0.3, 0.4]);
    expect(niceTicks(5, 5)).toEqual([2, 3, 4, 5, 6, 7, 8]);
    expect(niceTicks(-10, 10)).toEqual([-10, -5, 0, 5, 10]);
  });

  it('maps values linearly onto the plot, y growing upwards', () => {
    const y = linearScale(0, 100, 300, 50);
    expect(y(0)).toBe(300);
    expect(y(100)).toBe(50);
    expect(y(50)).toBe(175);
  });

  it('draws each series within the plot, scaled to the ticks', () => {
    const svg = lineChartSvg('Throughput', [
      {
        label: 'offered',
        unit: 'msgs/s',
        points: [
          [0, 0],
          [10, 100],
        ],
      },
      {
        label: 'delivered',
        unit: 'msgs/s',
        points: [
          [0, 0],
          [5, 50],
          [10, Number.NaN],
        ],
      },
    ]);
    const [offered, delivered] = polylines(svg);
    // x ticks 0..10 across 64..696; y ticks 0..100 from the plot's bottom (312 + two legend rows) upwards.
    expect(offered).toEqual([
      [64, 344],
      [696, 68],
    ]);
    // A point that is not a number is left out; the middle point sits half-way.
    expect(delivered).toEqual([
      [64, 344],
      [380, 206],
    ]);
    expect(svg).toContain('>offered</text>');
    expect(svg).toContain('>msgs/s</text>');
    expect(svg).toContain('>s</text>');
  });

  it('escapes every label', () => {
    expect(escapeXml(`<a href="x">&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;');
    const svg = lineChartSvg('p99 < 100 & "fast"', [
      { label: '<script>', unit: 'ms', xUnit: 'msgs/s offered', points: [[1, 2]] },
    ]);
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;script&gt;');
    expect(svg).toContain('<title>p99 &lt; 100 &amp; &quot;fast&quot;</title>');
    expect(svg).toContain('>msgs/s offered</text>');
  });

  it('draws an empty chart without failing', () => {
    const svg = lineChartSvg('nothing', [{ label: 'none', unit: 'ms', points: [] }]);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(polylines(svg)).toEqual([]);
  });
});
