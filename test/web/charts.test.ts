import { describe, expect, it } from 'vitest';
import { describeChart, niceDomain, renderChart, type ChartSpec } from '../../src/charts/layout.js';
import { escapeXml, serializeSvg, withPhysicalAnchors } from '../../src/charts/svg-tree.js';
import { fixed, formatValue } from '../../src/charts/format.js';
import { chartSpecFromPayload, type CategoryChartPayload } from '../../src/charts/payloads.js';

const source = { query_ids: ['q'], asof: '2024-12-31', license: null, warnings: [] };

function twoBars(lang: 'en' | 'ar'): ChartSpec {
  return {
    kind: 'hbar',
    id: 't',
    title: 'Two bars',
    noun: 'sector',
    unit: 'persons',
    lang,
    items: [
      { label: 'A', value: 10 },
      { label: 'B', value: 5 },
    ],
  };
}

describe('chart layout', () => {
  it('lays out horizontal bars at hand-computed positions', () => {
    // domain 0..10 (step 2); label column 60, value column 56 → plot x 100..624; plot y 60..312, band 126, bar 118.
    const svg = serializeSvg(renderChart(twoBars('en')));
    expect(svg).toContain('<rect x="100" y="64" width="524" height="118" fill="#1f5f99"/>');
    expect(svg).toContain('<rect x="100" y="190" width="262" height="118" fill="#1f5f99"/>');
    expect(
      svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="720" height="360" viewBox="0 0 720 360"'),
    ).toBe(true);
    expect(svg).toContain('role="img" aria-labelledby="t-title t-desc" lang="en"');
    expect(svg).toContain(
      '<title id="t-title">Two bars</title><desc id="t-desc">2 sectors, highest A 10, lowest B 5</desc>',
    );
    expect(svg).not.toContain('direction=');
  });

  it('mirrors bars and sets direction in Arabic', () => {
    const tree = renderChart(twoBars('ar'));
    const svg = serializeSvg(tree);
    // mirrored: x = 720 − (100 + 524)
    expect(svg).toContain('<rect x="96" y="64" width="524" height="118" fill="#1f5f99"/>');
    expect(svg).toContain('lang="ar" direction="rtl"');
    expect(svg).toContain('<desc id="t-desc">2 قطاعات، الأعلى A 10، الأدنى B 5</desc>');
    // The category label sits right of the bars (x = 720 − 94) with a logical "end" anchor.
    expect(svg).toContain('<text x="626" y="127.2" font-size="12" text-anchor="end" fill="#1b1b1b">A</text>');
    const physical = serializeSvg(withPhysicalAnchors(tree));
    expect(physical).toContain('<text x="626" y="127.2" font-size="12" text-anchor="start" fill="#1b1b1b">A</text>');
    expect(serializeSvg(withPhysicalAnchors(renderChart(twoBars('en'))))).toBe(
      serializeSvg(renderChart(twoBars('en'))),
    );
  });

  it('is deterministic: the same payload gives byte-identical SVG', () => {
    const payload: CategoryChartPayload = {
      title: 'x',
      year: 2024,
      categories: ['Energy', 'ICT', 'Finance'],
      values: [40.1, 12.5, 31],
      unit: 'percent',
      reference_lines: [{ label: 'Vision 2030 target', value: 30 }],
      source,
    };
    const a = serializeSvg(renderChart(chartSpecFromPayload('qatarization-by-sector', payload, 'en')));
    const b = serializeSvg(renderChart(chartSpecFromPayload('qatarization-by-sector', structuredClone(payload), 'en')));
    expect(a).toBe(b);
    expect(a).toContain('>Vision 2030 target (30%)</text>');
    expect(a).toContain('>12.5% · below target</text>');
    expect(a).toContain('fill="url(#qatarization-by-sector-hatch)"');
    expect(a).not.toContain('31.0% · below target');
  });

  it('escapes every text and attribute value', () => {
    expect(escapeXml(`<a & "b" 'c'>`)).toBe('&lt;a &amp; &quot;b&quot; &apos;c&apos;&gt;');
    const svg = serializeSvg(renderChart({ ...twoBars('en'), title: `Tom & "Jerry" <x>` }));
    expect(svg).toContain('<title id="t-title">Tom &amp; &quot;Jerry&quot; &lt;x&gt;</title>');
    expect(svg).not.toContain('<x>');
  });

  it('draws the GCC chart with Qatar highlighted and the average line', () => {
    const payload: CategoryChartPayload = {
      title: 'x',
      year: 2024,
      categories: ['QAT', 'ARE'],
      values: [0.27, 2.4],
      unit: 'percent',
      reference_lines: [{ label: 'GCC average', value: 1.34 }],
      source,
    };
    const svg = serializeSvg(renderChart(chartSpecFromPayload('gcc-unemployment', payload, 'en')));
    expect(svg).toContain('fill="#b3261e"');
    expect(svg).toContain('font-weight="700" text-anchor="end" fill="#1b1b1b">Qatar</text>');
    expect(svg).toContain('>GCC average (1.3%)</text>');
    expect(svg).toContain('stroke-dasharray="6 4"');
  });

  it('formats numbers with fixed rules', () => {
    expect(fixed(43840, 0)).toBe('43,840');
    expect(fixed(-0.8, 1)).toBe('\u22120.8');
    expect(fixed(-0.04, 1)).toBe('0.0');
    expect(fixed(1234567.25, 1)).toBe('1,234,567.3');
    expect(formatValue(12.25, 'percent')).toBe('12.3%');
    expect(formatValue(null, 'qar')).toBe('–');
    expect(niceDomain([40.1, 30])).toEqual({ min: 0, max: 50, step: 10 });
    expect(niceDomain([-1.5, 6.6])).toEqual({ min: -2, max: 8, step: 2 });
  });

  it('describes line charts from first to last point', () => {
    const spec: ChartSpec = {
      kind: 'line',
      id: 'l',
      title: 't',
      noun: 'year',
      unit: 'qar',
      lang: 'en',
      items: [
        { label: '2017', value: 15000 },
        { label: '2018', value: null },
        { label: '2019', value: 15800 },
      ],
    };
    expect(describeChart(spec)).toBe('3 years, 2017 to 2019, from 15,000 to 15,800');
    const svg = serializeSvg(renderChart(spec));
    // the missing year breaks the line into two pen-down points
    expect(svg).toMatch(/<path d="M[\d.]+ [\d.]+M[\d.]+ [\d.]+" fill="none"/);
  });
});
