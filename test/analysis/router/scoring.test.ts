import { beforeAll, describe, expect, it } from 'vitest';
import { INTENTS, type Intent } from '../../../src/analysis/model.js';
import { KeywordScorer } from '../../../src/analysis/router/keywords.js';
import {
  loadRouterConfig,
  type IntentConfig,
  type RouterSettings,
} from '../../../src/analysis/router/router-config.js';
import { createRouter, type QuestionRouter } from '../../../src/analysis/router/router.js';
import { boosts, combine, confidence, rank, round4 } from '../../../src/analysis/router/scoring.js';
import { SimilarityIndex } from '../../../src/analysis/router/similarity.js';
import { analyseText } from '../../../src/analysis/router/text.js';

const settings: RouterSettings = loadRouterConfig().settings;

function intent(id: Intent, keywords: (string | [string, 'weak'])[], examples: string[] = []): IntentConfig {
  return {
    id,
    description: id,
    target: 'T',
    keywords: keywords.map((k) =>
      typeof k === 'string' ? { keyword: k, weak: false } : { keyword: k[0], weak: true },
    ),
    examples,
  };
}
const tokens = (q: string) => analyseText(q).tokens;

describe('keyword score K_i (§2.6 step 1)', () => {
  const scorer = new KeywordScorer(
    [
      intent('pattern.root_causes', ['root cause', 'why', ['driver', 'weak'], 'cause']),
      intent('time.trend', ['year over year', 'year', 'trend']),
      intent('pattern.anomalies', ['anomaly', 'anomalies', 'outlier']),
      intent('predict.early_warning', ['deteriorat*', 'early warning']),
      intent('pattern.driver_screen', ['across sectors', 'vary across', 'vary']),
    ],
    settings,
  );
  const k = (q: string) => scorer.score(tokens(q)).scores;

  it('weighs 1.0 / 1.5 / 2.0 by token count and × 0.5 when weak', () => {
    // "root cause" 1.5 + "why" 1.0 + weak "driver" 0.5; "cause" lost its token to "root cause".
    expect(k('Why is the root cause a driver?')[0]).toBe(3);
    expect(k('year over year')[1]).toBe(2);
  });

  it('a keyword whose tokens a longer one took does not count; each keyword counts once', () => {
    expect(k('year over year growth')[1]).toBe(2);
    expect(k('year over year and year')[1]).toBe(3);
    expect(k('outlier outlier outlier')[2]).toBe(1);
    expect(k('the cause and the cause')[0]).toBe(1);
  });

  it('keywords of equal length may share tokens; only a longer keyword blocks', () => {
    // "vary across" and "across sectors" (1.5 each) overlap on "across"; "vary" (1.0) is blocked by "vary across".
    expect(k('Does it vary across sectors?')[4]).toBe(3);
  });

  it('keywords that fold to the same tokens count once', () => {
    expect(k('anomalies')[2]).toBe(1);
    expect(k('anomaly and anomalies')[2]).toBe(1);
  });

  it('matches whole tokens only, and a "*" word as a prefix', () => {
    expect(k('outliers')[2]).toBe(1);
    expect(k('outlying')[2]).toBe(0);
    expect(k('deteriorating and deterioration')[3]).toBe(1);
    expect(k('an early warning')[3]).toBe(1.5);
    expect(k('trendy trending')[1]).toBe(0);
  });

  it('reports the keywords that counted', () => {
    const { hits } = scorer.score(tokens('Why is the root cause a driver?'));
    expect(hits[0]!.map((h) => [h.keyword, h.weight, h.start])).toEqual([
      ['root cause', 1.5, 3],
      ['why', 1, 0],
      ['driver', 0.5, 6],
    ]);
  });
});

describe('TF-IDF similarity (§2.6 step 2)', () => {
  // N = 3 examples. idf = ln(4/2) + 1 = 1.693147 for alpha, gamma, delta; ln(4/3) + 1 = 1.287682 for beta.
  // "alpha beta" normalised: alpha 0.795961, beta 0.605349.
  const index = new SimilarityIndex(
    [intent('pattern.anomalies', [], ['alpha beta']), intent('pattern.correlation', [], ['beta gamma', 'delta'])],
    new Set(['the']),
  );

  it('single in-vocabulary term: the cosine is that term’s normalised weight in the example', () => {
    const [a, b] = index.similarity(tokens('the alpha alpha').map((t) => t.folded));
    expect(a).toBeCloseTo(0.7959605, 6);
    expect(b).toBe(0);
  });

  it('the maximum over an intent’s examples', () => {
    const [a, b] = index.similarity(tokens('beta delta').map((t) => t.folded));
    expect(a).toBeCloseTo(0.3664468, 6); // 0.605349²
    expect(b).toBeCloseTo(0.7959605, 6); // "delta" alone matches the second example
  });

  it('tf = 1 + ln(count)', () => {
    const [a, b] = index.similarity(tokens('beta beta gamma').map((t) => t.folded));
    expect(a).toBeCloseTo(0.4781084, 6);
    expect(b).toBeCloseTo(0.9663153, 6);
  });

  it('no in-vocabulary token (stop-words and numbers excluded) gives 0', () => {
    expect(index.similarity(tokens('the zeta 12 2.5').map((t) => t.folded))).toEqual([0, 0]);
    expect(index.vocabularySize).toBe(4);
    expect(index.size).toBe(3);
  });
});

describe('combined score and confidence (§2.6 step 4)', () => {
  it('S = clamp(0.6 · min(1, K/3) + 0.4 · sim + b, 0, 1)', () => {
    const s = combine([3, 1.5, 0, 6], [0.5, 0.8, 0, 1], [0, 0, 0.15, 0.15], settings);
    expect(s[0]).toBeCloseTo(0.8, 12); // 0.6 · 1 + 0.4 · 0.5
    expect(s[1]).toBeCloseTo(0.62, 12); // 0.6 · 0.5 + 0.4 · 0.8
    expect(s[2]).toBeCloseTo(0.15, 12);
    expect(s[3]).toBe(1); // 0.6 + 0.4 + 0.15 clamped
  });

  it('confidence = S1 · (0.5 + 0.5 · min(1, (S1 − S2) / 0.10))', () => {
    expect(confidence(0.8, 0.62, settings)).toBeCloseTo(0.8, 12); // margin 0.18 ≥ 0.10
    expect(confidence(0.5, 0.45, settings)).toBeCloseTo(0.375, 12); // 0.5 · (0.5 + 0.25)
    expect(confidence(0.4, 0.4, settings)).toBeCloseTo(0.2, 12); // an exact tie halves it
    expect(confidence(0.3, 0, settings)).toBeCloseTo(0.3, 12);
  });

  it('ranks by score, ties in catalogue order; rounds to 4 decimals', () => {
    const ranked = rank(
      INTENTS.slice(0, 4).map((i, n) => ({
        intent: i,
        score: [0.2, 0.5, 0.5, 0.1][n]!,
        keyword: 0,
        similarity: 0,
        boost: 0,
      })),
    );
    expect(ranked.map((r) => r.intent)).toEqual([INTENTS[1], INTENTS[2], INTENTS[0], INTENTS[3]]);
    expect(round4(0.123456)).toBe(0.1235);
    expect(round4(2 / 3)).toBe(0.6667);
  });
});

describe('boosts (§2.6 step 3) on the real router', () => {
  let router: QuestionRouter;
  beforeAll(() => {
    router = createRouter({ latestDataYear: 2024 });
  });
  const b = (q: string) => boosts(router.extract(q), settings);
  const at = (i: Intent) => INTENTS.indexOf(i);

  it('+0.15 GCC for a non-Qatar GCC country, not for Qatar alone', () => {
    expect(b('Qatar and Oman')[at('strategy.gcc_benchmark')]).toBe(0.15);
    expect(b('the Gulf')[at('strategy.gcc_benchmark')]).toBe(0.15);
    expect(b('Qatar alone')[at('strategy.gcc_benchmark')]).toBe(0);
  });

  it('+0.15 Vision 2030; +0.15 each scenario intent for a change with a cue; +0.10 forecast for a forward time', () => {
    expect(b('Vision 2030')[at('strategy.vision2030')]).toBe(0.15);
    const s = b('What if attrition falls by 2 points next year?');
    expect([s[at('scenario.apply')], s[at('scenario.compare')], s[at('scenario.batch')]]).toEqual([0.15, 0.15, 0.15]);
    expect(s[at('predict.forecast')]).toBe(0.1);
    expect(b('attrition falls by 2 points')[at('scenario.apply')]).toBe(0);
    expect(b('what if attrition falls')[at('scenario.apply')]).toBe(0);
  });

  it('route confidence is the formula over the ranked scores, rounded to 4 decimals', () => {
    const q = 'Why is attrition so high in Hospitality?';
    const c = router.classify(q);
    const [s1, s2] = [c.ranked[0]!.score, c.ranked[1]!.score];
    const r = router.route(q);
    expect(r.kind).toBe('route');
    if (r.kind !== 'route') return;
    expect(r.intent).toBe('pattern.root_causes');
    expect(r.confidence).toBe(round4(s1 * (0.5 + 0.5 * Math.min(1, (s1 - s2) / 0.1))));
    expect(r.alternatives).toEqual(
      c.ranked
        .slice(1)
        .filter((x) => x.score > 0)
        .slice(0, 3)
        .map((x) => ({ intent: x.intent, score: round4(x.score) })),
    );
    // K for root causes: the two-token keyword "why is" (1.5) takes "why" before the one-token "why" can.
    expect(c.keywordHits['pattern.root_causes'].map((h) => [h.keyword, h.weight])).toEqual([['why is', 1.5]]);
    expect(c.ranked[0]!.keyword).toBe(1.5);
  });
});
