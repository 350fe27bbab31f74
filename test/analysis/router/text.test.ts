import { describe, expect, it } from 'vitest';
import { analyseText, fold, isNumberToken, normalise, phraseTokens } from '../../../src/analysis/router/text.js';

const folded = (s: string) => analyseText(s).tokens.map((t) => t.folded);

describe('normalisation (§2.2 step 1)', () => {
  it('applies NFKC, ASCII quotes and dashes, and drops commas between digits only', () => {
    expect(normalise('Qatar\u2019s \u201Cshare\u201D')).toBe('Qatar\'s "share"');
    expect(normalise('2019\u20132022 \u2014 x \u2212 y')).toBe('2019-2022 - x - y');
    expect(normalise('1,000,000 and 3, 4')).toBe('1000000 and 3, 4');
    // NFKC folds the full-width digits and the ligature.
    expect(normalise('\uFF12\uFF10\uFF12\uFF14 \uFB01rm')).toBe('2024 firm');
  });

  it('keeps case in the normalised text and token offsets point into it', () => {
    const a = analyseText('What is IT doing?');
    const it = a.tokens[2]!;
    expect(it.cased).toBe('IT');
    expect(it.lower).toBe('it');
    expect(a.normalised.slice(it.start, it.end)).toBe('IT');
  });
});

describe('tokenisation (§2.2 step 2)', () => {
  it('splits on every character outside [a-z0-9], keeps decimals and "%" as tokens', () => {
    expect(folded('year-over-year z-score')).toEqual(['year', 'over', 'year', 'z', 'score']);
    expect(folded('a 2.5% rise, not 2.')).toEqual(['a', '2.5', '%', 'rise', 'not', '2']);
    expect(folded("Qatar's 1,200 QAR")).toEqual(['qatar', 's', '1200', 'qar']);
  });

  it('turns "versus" and "vs." into "vs"', () => {
    expect(folded('Qatar versus Oman vs. UAE')).toEqual(['qatar', 'vs', 'oman', 'vs', 'uae']);
  });

  it('recognises numeric tokens', () => {
    expect(isNumberToken('12')).toBe(true);
    expect(isNumberToken('2.5')).toBe(true);
    expect(isNumberToken('q1')).toBe(false);
    expect(isNumberToken('%')).toBe(false);
  });
});

describe('plural folding (§2.2 step 3)', () => {
  it.each([
    ['anomalies', 'anomaly'],
    ['sectors', 'sector'],
    ['analysis', 'analysis'],
    ['status', 'status'],
    ['taxes', 'tax'],
    ['matches', 'match'],
    ['wishes', 'wish'],
    ['classes', 'class'],
    ['process', 'process'],
    ['employees', 'employee'],
    ['salaries', 'salary'],
    ['wages', 'wage'],
    ['gas', 'gas'],
    ['its', 'its'],
    ['this', 'this'],
    ['causes', 'caus'],
  ])('%s → %s', (word, expected) => {
    expect(fold(word)).toBe(expected);
  });

  it('leaves tokens of 3 characters or fewer alone', () => {
    expect(fold('yes')).toBe('yes');
    expect(fold('ads')).toBe('ads');
  });

  it('gives configuration phrases the same treatment as questions', () => {
    expect(phraseTokens('Oil & Gas')).toEqual(['oil', 'gas']);
    expect(phraseTokens('month-of-year')).toEqual(['month', 'of', 'year']);
    expect(phraseTokens('Root Causes')).toEqual(['root', 'caus']);
  });
});
