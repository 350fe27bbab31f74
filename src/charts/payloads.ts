/**
 * The chart payloads of `/api/v1/ui/charts/*` and `/api/v1/ui/cards/*` (ui.md §6) and their mapping to a chart spec.
 * The server renders exports from the same mapping the browser uses on screen.
 */
import type { ChartItem, ChartSpec } from './layout.js';
import {
  chartTexts,
  chartTitle,
  countryLabel,
  sectorLabel,
  type ChartLang,
  type ChartName,
  type ChartUnit,
} from './labels.js';

export interface ChartSource {
  query_ids: string[];
  asof: string | null;
  license: string | null;
  warnings: string[];
}

export interface ReferenceLinePayload {
  label: string;
  value: number;
}

export interface CategoryChartPayload {
  title: string;
  year: number;
  categories: string[];
  values: (number | null)[];
  unit: ChartUnit;
  source: ChartSource;
  reference_lines?: ReferenceLinePayload[];
  /** qatarization-by-sector */
  qataris?: number[];
  non_qataris?: number[];
  /** attrition-by-sector */
  flags?: ('high' | 'moderate' | 'low')[];
  /** gcc-unemployment */
  ranking?: {
    qatar_rank: number | null;
    of: number;
    qatar_rate: number | null;
    gcc_average: number;
    gap_pp: number | null;
  };
}

export interface SeriesChartPayload {
  title: string;
  sector: string;
  unit: ChartUnit;
  series: { x: number; y: number | null }[];
  source: ChartSource;
}

export interface CardPayload {
  title: string;
  subtitle: string;
  kpi: number;
  unit: 'persons' | 'percent';
  meta: Record<string, number | string | null>;
}

export interface CardsPayload {
  cards: CardPayload[];
  source?: ChartSource;
}

export type ChartPayload = CategoryChartPayload | SeriesChartPayload | CardsPayload;

/** The Vision 2030 Qatarization target in percent (ui.md §5.2). */
export const VISION_2030_TARGET_PCT = 30;

/** Is this ISO3 code or name Qatar (ui.md §5.3)? */
export function isQatar(country: string): boolean {
  return country.toUpperCase() === 'QAT' || /qatar/i.test(country);
}

/** Chart spec of a payload in a language; `id` becomes the prefix of the SVG element ids. */
export function chartSpecFromPayload(
  chart: ChartName,
  payload: ChartPayload,
  lang: ChartLang,
  id: string = chart,
): ChartSpec {
  const t = chartTexts(lang);
  switch (chart) {
    case 'salary-trend':
    case 'salary-yoy': {
      const p = payload as SeriesChartPayload;
      return {
        kind: chart === 'salary-trend' ? 'line' : 'bar',
        id,
        title: chartTitle(chart, lang, { sector: sectorLabel(p.sector, lang) }),
        noun: 'year',
        unit: p.unit,
        lang,
        items: p.series.map((point) => ({ label: String(point.x), value: point.y })),
      };
    }
    case 'top-sectors':
    case 'ewi': {
      const p = payload as CardsPayload;
      const year = p.cards[0]?.meta.year ?? '';
      return {
        kind: 'hbar',
        id,
        title: chartTitle(chart, lang, { year: String(year) }),
        noun: 'sector',
        unit: chart === 'ewi' ? 'percent' : 'persons',
        lang,
        items: p.cards.map((c) => ({ label: sectorLabel(c.title, lang), value: c.kpi })),
      };
    }
    default: {
      const p = payload as CategoryChartPayload;
      const gcc = chart === 'gcc-unemployment';
      const items: ChartItem[] = p.categories.map((category, i) => {
        const value = p.values[i] ?? null;
        const item: ChartItem = { label: gcc ? countryLabel(category, lang) : sectorLabel(category, lang), value };
        if (gcc && isQatar(category)) item.highlight = true;
        if (chart === 'qatarization-by-sector' && value !== null && value < VISION_2030_TARGET_PCT) {
          item.pattern = true;
          item.note = t.belowTarget;
        }
        if (chart === 'attrition-by-sector' && p.flags?.[i] === 'high') item.note = t.high;
        return item;
      });
      const template = chart === 'qatarization-by-sector' ? t.target : gcc ? t.gccAverage : t.average;
      return {
        kind: 'hbar',
        id,
        title: chartTitle(chart, lang, { year: String(p.year) }),
        noun: gcc ? 'country' : 'sector',
        unit: p.unit,
        lang,
        items,
        referenceLines: (p.reference_lines ?? []).map((r) => ({ label: template, value: r.value })),
      };
    }
  }
}
