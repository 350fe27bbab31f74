import { beforeAll, describe, expect, it } from 'vitest';
import { createRouter, type QuestionRouter } from '../../../src/analysis/router/router.js';

let router: QuestionRouter;
beforeAll(() => {
  router = createRouter({ latestDataYear: 2024 });
});
const ex = (q: string) => router.extract(q);

describe('trap words yield no spurious entity (§2.2 step 5, §2.9)', () => {
  // The reference matched substrings: "it" in "with", "now" in "know", "age" in "wage", "media" in "immediate",
  // "mining" in "determining", "pay" in "payroll". Whole-token matching gives nothing for any of them, except
  // that "wage" itself is a §1.6 salary synonym.
  it.each(['with', 'know', 'immediate', 'window', 'determining', 'starts', 'payroll'])('"%s"', (word) => {
    const e = ex(`Tell me about ${word} in general`);
    expect(e.sectors).toEqual([]);
    expect(e.metrics).toEqual([]);
    expect(e.countries).toEqual([]);
    expect(e.time).toEqual([]);
  });

  it('"wage" is the salary synonym and nothing else', () => {
    const e = ex('How is the wage doing?');
    expect(e.metrics).toEqual(['avg_salary']);
    expect(e.sectors).toEqual([]);
  });

  it('all the trap words together', () => {
    const e = ex('with know immediate window determining starts payroll');
    expect([e.sectors, e.metrics, e.countries, e.time, e.numbers]).toEqual([[], [], [], [], []]);
  });
});

describe('sectors', () => {
  it.each([
    ['Employment in oil and gas and in Oil & Gas', ['Energy']],
    ['health care vs healthcare vs hospitals', ['Healthcare']],
    ['Retention in financial services and banking', ['Finance']],
    ['public sector and government employees', ['Public']],
    ['Transport, then Education, then Transport again', ['Transport', 'Education']],
    ['information technology and telecoms', ['ICT']],
    ['Attrition across sectors and nationally', ['ALL']],
    ['economy-wide headcount', ['ALL']],
    ['Construction compared with the national figure', ['Construction', 'ALL']],
  ])('%s', (q, sectors) => {
    expect(ex(q).sectors).toEqual(sectors);
  });

  it('"IT" counts only in capitals, and not in an all-capitals question', () => {
    expect(ex('Attrition in IT').sectors).toEqual(['ICT']);
    expect(ex('Is it rising?').sectors).toEqual([]);
    expect(ex('IS IT RISING').sectors).toEqual([]);
  });

  it('"world bank", "ministry of labour" and "Qatari nationals" yield no sector', () => {
    expect(ex('World Bank data on the Ministry of Labour and Qatari nationals').sectors).toEqual([]);
  });
});

describe('metrics (longest match first)', () => {
  it.each([
    ['female labour force participation in the GCC', ['female_labour_force_participation']],
    [
      'labour force participation and female labor force participation',
      ['labour_force_participation', 'female_labour_force_participation'],
    ],
    ['retention rate and turnover rate', ['retention', 'attrition']],
    ['unemployment rate vs employment', ['unemployment', 'employment']],
    ['share of Qatari workers', ['qatarization']],
    ['the Qatari share of headcount', ['qatarization', 'employment']],
    ['average salary, wages and pay', ['avg_salary']],
    ['keeping staff and losing staff', ['retention', 'attrition']],
    ['the jobless and the jobs', ['unemployment', 'employment']],
  ])('%s', (q, metrics) => {
    expect(ex(q).metrics).toEqual(metrics);
  });
});

describe('countries', () => {
  it.each([
    ['Qatar vs Saudi Arabia and the UAE', ['QAT', 'SAU', 'ARE']],
    ['Abu Dhabi, Dubai and Emirati workers', ['ARE']],
    ['Kuwaiti and Omani rates', ['KWT', 'OMN']],
    ['Bahrain against the Gulf', ['BHR', 'QAT', 'ARE', 'SAU', 'KWT', 'OMN']],
    ['Qatari nationals', []],
  ])('%s', (q, countries) => {
    expect(ex(q).countries).toEqual(countries);
  });
});

describe('time (latest data year 2024)', () => {
  it.each([
    ['from 2019-2022', [{ kind: 'range', start: '2019', end: '2022', months: 48 }]],
    ['from 2018 to 2020', [{ kind: 'range', start: '2018', end: '2020', months: 36 }]],
    ['between 2015 and 2016', [{ kind: 'range', start: '2015', end: '2016', months: 24 }]],
    ['in Q2 2023', [{ kind: 'quarter', start: '2023-04', end: '2023-06', months: 3 }]],
    ['in 2022 Q4', [{ kind: 'quarter', start: '2022-10', end: '2022-12', months: 3 }]],
    ['the third quarter of 2021', [{ kind: 'quarter', start: '2021-07', end: '2021-09', months: 3 }]],
    ['March 2024', [{ kind: 'month', start: '2024-03', end: '2024-03', months: 1 }]],
    ['since 2019', [{ kind: 'since', start: '2019', end: '2024', months: 72 }]],
    ['over the last three years', [{ kind: 'relative', start: '2022', end: '2024', months: 36 }]],
    ['in the past year', [{ kind: 'relative', start: '2024', end: '2024', months: 12 }]],
    ['the last 6 months', [{ kind: 'relative', start: '2024-07', end: '2024-12', months: 6 }]],
    ['the previous 2 quarters', [{ kind: 'relative', start: '2024-07', end: '2024-12', months: 6 }]],
    ['the last 10 weeks', [{ kind: 'relative', start: '2024-11', end: '2024-12', months: 2 }]],
    ['the last 20 days', [{ kind: 'relative', start: '2024-12', end: '2024-12', months: 1 }]],
    ['two years ago', [{ kind: 'ago', start: '2022', end: '2022', months: 12 }]],
    ['6 months ago', [{ kind: 'ago', start: '2024-06', end: '2024-06', months: 1 }]],
    ['in 2021', [{ kind: 'year', start: '2021', end: '2021', months: 12 }]],
    ['for the next 18 months', [{ kind: 'forward', forward_months: 18 }]],
    ['over the coming two years', [{ kind: 'forward', forward_months: 24 }]],
    ['next quarter', [{ kind: 'forward', forward_months: 3 }]],
    ['3 years ahead', [{ kind: 'forward', forward_months: 36 }]],
    ['by 2030', [{ kind: 'forward', forward_months: 72, target_year: 2030 }]],
    ['in 2026', [{ kind: 'forward', forward_months: 24, target_year: 2026 }]],
  ])('%s', (q, time) => {
    expect(ex(q).time).toEqual(time);
  });

  it('"Vision 2030" is a named phrase, not a time or a number', () => {
    const e = ex('Are we on track for Vision 2030?');
    expect(e.time).toEqual([]);
    expect(e.numbers).toEqual([]);
    expect(e.cues.vision_2030).toBe(true);
  });

  it('lists several times in order of mention; years before 1990 are not times', () => {
    const e = ex('Compare 1985 with 2020 and the next year');
    expect(e.time).toEqual([
      { kind: 'year', start: '2020', end: '2020', months: 12 },
      { kind: 'forward', forward_months: 12 },
    ]);
    expect(e.numbers.map((n) => n.value)).toEqual([1985]);
  });

  it('a reversed range is swapped, with a router warning', () => {
    const r = router.route('Employment trend 2022-2019');
    expect(r.entities.time).toEqual([{ kind: 'range', start: '2019', end: '2022', months: 48 }]);
    expect(r.warnings).toContainEqual(
      expect.objectContaining({ code: 'TIME_RANGE_SWAPPED', details: { from: 2022, to: 2019 } }),
    );
  });
});

describe('numbers with units', () => {
  it('reads the unit written after the number, or a currency before it', () => {
    const e = ex(
      '5% and 6 percent, 7 per cent; 2 pp, 3 percentage points, 4 points, 1 pts; 500 QAR, QR 600, 700 riyals, 8',
    );
    expect(e.numbers.map((n) => [n.value, n.unit])).toEqual([
      [5, 'percent'],
      [6, 'percent'],
      [7, 'percent'],
      [2, 'pp'],
      [3, 'pp'],
      [4, 'pp'],
      [1, 'pp'],
      [500, 'qar'],
      [600, 'qar'],
      [700, 'qar'],
      [8, 'plain'],
    ]);
  });

  it('spans index the normalised text; commas between digits are dropped; number words need a unit', () => {
    const e = ex('Raise pay by 1,500 QAR or five percent for one sector');
    expect(e.numbers).toEqual([
      { value: 1500, unit: 'qar', span: [13, 21] },
      { value: 5, unit: 'percent', span: [25, 37] },
    ]);
  });

  it('top-N: "top N", "bottom N", "N best"; the first one counts, none is left as a number', () => {
    expect(ex('the top 5 sectors').top_n).toBe(5);
    expect(ex('the three worst sectors and the bottom 2').top_n).toBe(3);
    expect(ex('the three worst sectors and the bottom 2').numbers).toEqual([]);
    expect(ex('the top performers').top_n).toBeNull();
  });

  it('a percentage next to "target" is the target percent', () => {
    expect(ex('Are we near the 35% Qatarization target?').cues.target_percent).toBe(35);
    expect(ex('a target of 40 percent').cues.target_percent).toBe(40);
    expect(ex('a 5% rise with no goal in sight for a long while and target').cues.target_percent).toBeNull();
  });
});

describe('change expressions', () => {
  it.each([
    [
      'What if Qatarization in Finance rose by 2 percentage points?',
      {
        metric: 'qatarization',
        direction: 1,
        magnitude: 2,
        unit: 'pp',
        mode: 'by',
        text: 'Qatarization in Finance rose by 2 percentage points',
      },
    ],
    [
      'Simulate a 5% cut in Construction employment',
      {
        metric: 'employment',
        direction: -1,
        magnitude: 5,
        unit: 'percent',
        mode: 'by',
        text: '5% cut in Construction employment',
      },
    ],
    [
      'Suppose attrition falls to 6% in Hospitality',
      { metric: 'attrition', direction: -1, magnitude: 6, unit: 'percent', mode: 'to', text: 'attrition falls to 6%' },
    ],
    [
      'What if employment grows at 4% per year?',
      {
        metric: 'employment',
        direction: 1,
        magnitude: 4,
        unit: 'percent',
        mode: 'rate',
        text: 'employment grows at 4% per year',
        rate_period: 'year',
      },
    ],
    [
      'What if salaries go up by 800 QAR?',
      {
        metric: 'avg_salary',
        direction: 1,
        magnitude: 800,
        unit: 'qar',
        mode: 'by',
        text: 'salaries go up by 800 QAR',
      },
    ],
    [
      'What if attrition improves by 5%?',
      {
        metric: 'attrition',
        direction: -1,
        magnitude: 5,
        unit: 'percent',
        mode: 'by',
        text: 'attrition improves by 5%',
        relative: 'better',
      },
    ],
    [
      'What if retention worsens by 3 points?',
      {
        metric: 'retention',
        direction: -1,
        magnitude: 3,
        unit: 'pp',
        mode: 'by',
        text: 'retention worsens by 3 points',
        relative: 'worse',
      },
    ],
  ])('%s', (q, change) => {
    expect(ex(q).changes).toEqual([change]);
  });

  it('pairs each number with its own word; clause punctuation separates expressions', () => {
    const e = ex('Which scenario is better: plus 1 pp, or a rise by 5%, or a 3% drop?');
    expect(e.changes.map((c) => [c.direction, c.magnitude, c.unit])).toEqual([
      [1, 1, 'pp'],
      [1, 5, 'percent'],
      [-1, 3, 'percent'],
    ]);
  });

  it('needs the number within 4 tokens of the word; a "from" number is the starting level', () => {
    expect(ex('rise in the long run for all of the ten sectors').changes).toEqual([]);
    expect(ex('retention would rise from 80 to 85%').changes.map((c) => [c.magnitude, c.mode])).toEqual([[85, 'to']]);
  });

  it('the conditional cue', () => {
    expect(ex('What if pay rises?').cues.conditional).toBe(true);
    expect(ex('Suppose pay rises').cues.conditional).toBe(true);
    expect(ex('Pay rises').cues.conditional).toBe(false);
  });
});

describe('other cues and methods', () => {
  it('company words, scenario cases, World Bank and method names', () => {
    const e = ex('Best case for firms using World Bank data, with Pearson and Theil-Sen or a rolling mean');
    expect(e.cues.company).toBe(true);
    expect(e.cues.scenario_cases).toBe(true);
    expect(e.cues.world_bank).toBe(true);
    expect(e.methods).toEqual(['pearson', 'theil_sen', 'rolling_mean']);
  });
});
