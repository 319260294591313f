// `npm run bench:segments`: what counting and cutting an SMS body costs each message. Every send analyses
// its body when it is accepted (the 202 carries its encoding and segment count) and splits it into parts
// when it is submitted over SMPP (services/messaging/src/domain/segments.ts); this times both on bodies
// of the sizes partners send, up to the longest accepted.
import { analyseSmsBody, splitSmsBody, SMS_BODY_MAX_CHARACTERS } from '@parley/messaging/src/domain/segments';
import { microBenchOptions, timeCalls, timingLine, writeMicroResults } from './micro';

/** Analysis and split together, per message: the bound for the segment rules. */
const TARGET_MICROSECONDS = 20;

const fill = (unit: string, length: number) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
const sentence = 'Your parcel 4821 arrives today between 10:00 and 12:00. Reply STOP to opt out. ';
const bodies: Record<string, { body: string; encoding: string; segments: number }> = {
  '20-character GSM-7': { body: 'Your code is 482913.', encoding: 'GSM-7', segments: 1 },
  '160-character GSM-7': { body: fill(sentence, 160), encoding: 'GSM-7', segments: 1 },
  '500-character GSM-7 with euros': {
    body: fill('Your invoice of €12.50 is due on 3 December. ', 500),
    encoding: 'GSM-7',
    segments: 4,
  },
  '300-character UCS-2 with emoji': {
    body: fill('Ваша посылка прибудет сегодня 📦 ', 300),
    encoding: 'UCS-2',
    segments: 5,
  },
  '1,600-character GSM-7': { body: fill(sentence, SMS_BODY_MAX_CHARACTERS), encoding: 'GSM-7', segments: 11 },
  '1,600-character UCS-2 with emoji': {
    body: fill('Ваша посылка прибудет сегодня 📦 ', SMS_BODY_MAX_CHARACTERS),
    encoding: 'UCS-2',
    segments: 24,
  },
};

const { iterations, out } = microBenchOptions({ iterations: 200_000, resultsFile: 'segments.json' });

const results = Object.entries(bodies).map(([name, { body, encoding, segments }]) => {
  // The expected answers are checked first, so a fast wrong answer is not reported as a result.
  const analysis = analyseSmsBody(body);
  if (analysis.encoding !== encoding || analysis.segments !== segments)
    throw new Error(`${name}: ${analysis.encoding}/${analysis.segments}, expected ${encoding}/${segments}`);
  const analyse = timeCalls(() => analyseSmsBody(body).segments, iterations);
  const split = timeCalls(() => splitSmsBody(body).length, iterations);
  if (analyse.total !== segments * iterations || split.total !== segments * iterations)
    throw new Error(`${name}: the answers changed while timing`);
  const { total: _analysed, ...analyseTiming } = analyse;
  const { total: _split, ...splitTiming } = split;
  const microseconds = analyse.microseconds + split.microseconds;
  console.log(timingLine(`${name}: analyse`, analyse, 'message', 44));
  console.log(timingLine(`${name}: split`, split, 'message', 44));
  return {
    name,
    characters: analysis.characters,
    units: analysis.units,
    encoding,
    segments,
    analyse: analyseTiming,
    split: splitTiming,
    microseconds,
  };
});
const slowest = Math.max(...results.map((result) => result.microseconds));
const met = slowest < TARGET_MICROSECONDS;
console.log(
  `target: analyse + split under ${TARGET_MICROSECONDS} µs per message for every body (slowest ${slowest.toFixed(2)} µs): ${met ? 'met' : 'NOT met'}`,
);

writeMicroResults(out, 'segments', { target: { microseconds: TARGET_MICROSECONDS, met }, results });
