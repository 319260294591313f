import { describe, expect, it } from '@jest/globals';
import { formatFigure, resultsMarkdown } from './report';

const machine = {
  cpuModel: 'Test CPU',
  cores: 2,
  memoryGiB: 23.5,
  os: 'Linux 6 x64',
  node: 'v20.19.0',
  postgres: '17.5',
  natsServer: '2.11.0',
  loadAverage: [1.5, 0.75, 0.5],
};

describe('RESULTS.md', () => {
  it('formats figures, a dash where there is no number', () => {
    expect(formatFigure(1234.567)).toBe('1,234.57');
    expect(formatFigure(0)).toBe('0');
    expect(formatFigure(null)).toBe('—');
    expect(formatFigure(Number.NaN)).toBe('—');
  });

  it('tables each scenario against its targets, with its processes and charts', () => {
    const markdown = resultsMarkdown({
      machine,
      date: '2026-12-01T21:00:00.000Z',
      quick: true,
      runs: [
        {
          name: 'messaging',
          status: 'ok',
          exitCode: 0,
          seconds: 120,
          charts: [{ name: 'throughput', file: 'results/messaging-throughput.svg' }],
          results: {
            scenario: 'messaging',
            date: '2026-12-01T21:02:00.000Z',
            machine: { cpus: 2, memoryBytes: 1, node: 'v20.19.0', loadAverageAtStart: [0.25, 0.5, 1] },
            summary: {
              sustainedAcceptedPerSecond: 50,
              'a|b': 1,
              acceptP99MsAt500PerSecond: null as never,
              stallMs: 12,
              rowsPerSecond: 30,
              unsure: 5,
            },
            targets: {
              sustainedAcceptedPerSecond: { target: 1000, met: false },
              acceptP99MsAt500PerSecond: { target: 25, met: false, atMost: true },
              // Written without atMost: the bearing follows from the figure and whether it met the target.
              stallMs: { target: 50, met: true },
              rowsPerSecond: { target: 60, met: false },
              unsure: { target: 5, met: true },
            },
            processes: { gateway: { cpuSeconds: 12.5, peakPssMiB: 80 } },
          },
        },
        { name: 'dsr', status: 'missing', charts: [] },
        { name: 'startup', status: 'failed', exitCode: 1, seconds: 3, charts: [] },
      ],
    });
    expect(markdown).toContain('| CPU | Test CPU, 2 cores |');
    expect(markdown).toContain('| PostgreSQL | 17.5 |');
    expect(markdown).toContain('| load average when the run began | 1.5, 0.75, 0.5 (1, 5, 15 min) |');
    expect(markdown).toContain('| sustainedAcceptedPerSecond | 50 | ≥ 1,000 | **no** |');
    expect(markdown).toContain('| acceptP99MsAt500PerSecond | — | ≤ 25 | **no** |');
    expect(markdown).toContain('| a\\|b | 1 |  |  |');
    expect(markdown).toContain('| stallMs | 12 | ≤ 50 | yes |');
    expect(markdown).toContain('| rowsPerSecond | 30 | ≥ 60 | **no** |');
    expect(markdown).toContain('| unsure | 5 | 5 | yes |');
    expect(markdown).toContain('| gateway | 12.5 | 80 |');
    expect(markdown).toContain('![messaging: throughput](results/messaging-throughput.svg)');
    expect(markdown).toContain('| [dsr](#dsr) | missing: no script yet |');
    expect(markdown).toContain('**failed** (exit 1) in 3 s, no results');
    expect(markdown).toContain('quick mode');
    expect(markdown).toContain('Load average when it began: 0.25, 0.5, 1 (1, 5, 15 min).');
  });

  it('says, when only redrawn, that the machine load is of the report, not of the runs', () => {
    const markdown = resultsMarkdown({
      machine,
      date: '2026-12-01T21:00:00.000Z',
      quick: false,
      reportOnly: true,
      runs: [{ name: 'dsr', status: 'not run', charts: [] }],
    });
    expect(markdown).toContain(
      '| load average when this report was written | 1.5, 0.75, 0.5 (1, 5, 15 min) |',
    );
    expect(markdown).not.toContain('when the run began');
    expect(markdown).toContain('Redrawn from the last results by `npm run bench -- --report`');
    expect(markdown).not.toContain('Written by');
  });
});
