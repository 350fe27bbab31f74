/**
 * Chart layout (ui.md §4.4, §7.3): bar, horizontal bar and line charts as a neutral SVG tree. Pure and
 * deterministic: the same spec always gives the same tree, so exports are byte-identical and the screen matches them.
 */
import { el, text, type SvgElement, type SvgNode } from './svg-tree.js';
import { chartTexts, fill, type ChartLang, type ChartUnit } from './labels.js';
import { fixed, formatValue } from './format.js';

export interface ChartItem {
  /** Display label of the category (already translated). */
  label: string;
  value: number | null;
  /** Drawn in the highlight colour with a bold label (e.g. Qatar). */
  highlight?: boolean;
  /** Drawn with the hatched pattern (e.g. below target). */
  pattern?: boolean;
  /** Text appended to the value label (e.g. "below target", "high"). */
  note?: string;
}

export interface ReferenceLine {
  /** Full label as drawn, e.g. "Vision 2030 target (30%)". */
  label: string;
  value: number;
}

export interface ChartSpec {
  kind: 'hbar' | 'bar' | 'line';
  /** Prefix of the element ids inside the SVG (`<id>-title`, `<id>-desc`, `<id>-hatch`): letters, digits, `-`. */
  id: string;
  title: string;
  /** Generated from the data when absent. */
  desc?: string;
  /** What one item is, for the generated description. */
  noun: 'sector' | 'country' | 'year';
  items: readonly ChartItem[];
  unit: ChartUnit;
  referenceLines?: readonly ReferenceLine[];
  lang: ChartLang;
  width?: number;
  height?: number;
}

export const CHART_COLORS = {
  series: '#1f5f99',
  highlight: '#b3261e',
  target: '#1b1b1b',
  text: '#1b1b1b',
  axis: '#595959',
  grid: '#d9d9d9',
  background: '#ffffff',
} as const;

export const CHART_FONT_FAMILY = "'Noto Sans', 'Noto Naskh Arabic', sans-serif";
export const DEFAULT_WIDTH = 720;
export const DEFAULT_HEIGHT = 360;
const PAD = 40;
const GAP = 8;
const FONT = 12;
const TITLE_FONT = 16;

/** A rough text width for layout (no font metrics in a pure function): 0.6 em per character. */
function textWidth(value: string, size = FONT): number {
  return [...value].length * size * 0.6;
}

export function niceStep(raw: number): number {
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const m = raw / pow;
  const unit = m <= 1 ? 1 : m <= 2 ? 2 : m <= 2.5 ? 2.5 : m <= 5 ? 5 : 10;
  return unit * pow;
}

/** Axis domain covering zero, the values and the reference lines, widened to whole steps. */
export function niceDomain(values: readonly number[], ticks = 5): { min: number; max: number; step: number } {
  let lo = 0;
  let hi = 0;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === hi) hi = lo + 1;
  const step = niceStep((hi - lo) / ticks);
  return { min: Math.floor(lo / step + 1e-9) * step, max: Math.ceil(hi / step - 1e-9) * step, step };
}

function tickLabel(value: number, unit: ChartUnit, step: number): string {
  if (unit === 'percent') return `${fixed(value, Number.isInteger(step) ? 0 : 1)}%`;
  return fixed(value, 0);
}

/** The generated `<desc>` summary, e.g. "10 sectors, highest Finance 43,840, lowest ICT 6,263". */
export function describeChart(spec: ChartSpec): string {
  const t = chartTexts(spec.lang);
  const [one, many] = t.nouns[spec.noun];
  const present = spec.items.filter((i): i is ChartItem & { value: number } => i.value !== null);
  const count = `${spec.items.length} ${spec.items.length === 1 ? one : many}`;
  if (present.length === 0) return count;
  if (spec.kind === 'line') {
    const first = present[0]!;
    const last = present[present.length - 1]!;
    return [
      count,
      `${first.label} ${t.to} ${last.label}`,
      `${t.from} ${formatValue(first.value, spec.unit)} ${t.to} ${formatValue(last.value, spec.unit)}`,
    ].join(t.listSep);
  }
  let hi = present[0]!;
  let lo = present[0]!;
  for (const i of present) {
    if (i.value > hi.value) hi = i;
    if (i.value < lo.value) lo = i;
  }
  return [
    count,
    `${t.highest} ${hi.label} ${formatValue(hi.value, spec.unit)}`,
    `${t.lowest} ${lo.label} ${formatValue(lo.value, spec.unit)}`,
  ].join(t.listSep);
}

interface Frame {
  width: number;
  height: number;
  rtl: boolean;
  /** Mirrors an x coordinate in RTL. */
  x(value: number): number;
}

function txt(
  frame: Frame,
  x: number,
  y: number,
  value: string,
  opts: { anchor?: 'start' | 'middle' | 'end'; size?: number; weight?: number; fillColor?: string } = {},
): SvgElement {
  return el(
    'text',
    {
      x: frame.x(x),
      y,
      'font-size': opts.size ?? FONT,
      'font-weight': opts.weight,
      'text-anchor': opts.anchor ?? 'start',
      fill: opts.fillColor ?? CHART_COLORS.text,
    },
    [text(value)],
  );
}

/** A rectangle given by its LTR left edge; mirrored as a whole in RTL. */
function rect(frame: Frame, x: number, y: number, w: number, h: number, attrs: Record<string, string | number>) {
  const left = frame.rtl ? frame.width - (x + w) : x;
  return el('rect', { x: left, y, width: Math.max(0, w), height: Math.max(0, h), ...attrs });
}

function line(frame: Frame, x1: number, y1: number, x2: number, y2: number, attrs: Record<string, string | number>) {
  return el('line', { x1: frame.x(x1), y1, x2: frame.x(x2), y2, ...attrs });
}

function barFill(spec: ChartSpec, item: ChartItem): Record<string, string | number> {
  if (item.pattern) return { fill: `url(#${spec.id}-hatch)`, stroke: CHART_COLORS.series, 'stroke-width': 1 };
  return { fill: item.highlight ? CHART_COLORS.highlight : CHART_COLORS.series };
}

function valueText(spec: ChartSpec, item: ChartItem): string {
  const t = chartTexts(spec.lang);
  const value = formatValue(item.value, spec.unit, t.noValue);
  return item.note ? `${value} · ${item.note}` : value;
}

function referenceLabel(spec: ChartSpec, ref: ReferenceLine): string {
  const value =
    spec.unit === 'percent' && Number.isInteger(ref.value)
      ? `${fixed(ref.value, 0)}%`
      : formatValue(ref.value, spec.unit);
  return fill(ref.label, { value });
}

function horizontalBars(spec: ChartSpec, frame: Frame): SvgNode[] {
  const nodes: SvgNode[] = [];
  const labelW = Math.min(190, Math.max(60, Math.max(0, ...spec.items.map((i) => textWidth(i.label))) + 8));
  const valueW = Math.min(170, Math.max(56, Math.max(0, ...spec.items.map((i) => textWidth(valueText(spec, i)))) + 8));
  const x0 = PAD + labelW;
  const x1 = frame.width - PAD - valueW;
  const top = PAD + 20;
  const bottom = frame.height - PAD - 8;
  const refs = spec.referenceLines ?? [];
  const domain = niceDomain([...spec.items.map((i) => i.value ?? 0), ...refs.map((r) => r.value)]);
  const scale = (v: number): number => x0 + ((v - domain.min) / (domain.max - domain.min)) * (x1 - x0);
  // grid and ticks
  for (let v = domain.min; v <= domain.max + domain.step / 2; v += domain.step) {
    const x = scale(v);
    nodes.push(line(frame, x, top, x, bottom, { stroke: CHART_COLORS.grid, 'stroke-width': 1 }));
    nodes.push(txt(frame, x, bottom + 16, tickLabel(v, spec.unit, domain.step), { anchor: 'middle', size: 11 }));
  }
  nodes.push(
    txt(frame, (x0 + x1) / 2, bottom + 32, chartTexts(spec.lang).units[spec.unit], { anchor: 'middle', size: 11 }),
  );
  const n = Math.max(1, spec.items.length);
  const band = (bottom - top) / n;
  const barH = Math.max(1, band - GAP);
  const zero = scale(0);
  spec.items.forEach((item, i) => {
    const y = top + i * band + GAP / 2;
    const mid = y + barH / 2 + FONT * 0.35;
    nodes.push(txt(frame, x0 - 6, mid, item.label, { anchor: 'end', weight: item.highlight ? 700 : undefined }));
    if (item.value === null) {
      nodes.push(txt(frame, zero + 4, mid, valueText(spec, item)));
      return;
    }
    const end = scale(item.value);
    const left = Math.min(zero, end);
    nodes.push(rect(frame, left, y, Math.abs(end - zero), barH, barFill(spec, item)));
    nodes.push(
      item.value >= 0
        ? txt(frame, end + 4, mid, valueText(spec, item), { weight: item.highlight ? 700 : undefined })
        : txt(frame, end - 4, mid, valueText(spec, item), { anchor: 'end' }),
    );
  });
  nodes.push(line(frame, zero, top, zero, bottom, { stroke: CHART_COLORS.axis, 'stroke-width': 1 }));
  for (const ref of refs) {
    const x = scale(ref.value);
    nodes.push(
      line(frame, x, top - 6, x, bottom, { stroke: CHART_COLORS.target, 'stroke-width': 2, 'stroke-dasharray': '6 4' }),
    );
    nodes.push(txt(frame, x, top - 10, referenceLabel(spec, ref), { anchor: 'middle', size: 11 }));
  }
  return nodes;
}

function verticalFrame(spec: ChartSpec, frame: Frame) {
  const refs = spec.referenceLines ?? [];
  const domain = niceDomain([...spec.items.map((i) => i.value ?? 0), ...refs.map((r) => r.value)]);
  const x0 = PAD + 48;
  const x1 = frame.width - PAD;
  const top = PAD + 28;
  const bottom = frame.height - PAD - 8;
  const scale = (v: number): number => bottom - ((v - domain.min) / (domain.max - domain.min)) * (bottom - top);
  const nodes: SvgNode[] = [];
  for (let v = domain.min; v <= domain.max + domain.step / 2; v += domain.step) {
    const y = scale(v);
    nodes.push(line(frame, x0, y, x1, y, { stroke: CHART_COLORS.grid, 'stroke-width': 1 }));
    nodes.push(txt(frame, x0 - 6, y + 4, tickLabel(v, spec.unit, domain.step), { anchor: 'end', size: 11 }));
  }
  nodes.push(txt(frame, PAD, PAD + 10, chartTexts(spec.lang).units[spec.unit], { size: 11 }));
  const band = (x1 - x0) / Math.max(1, spec.items.length);
  return { nodes, x0, x1, top, bottom, scale, band, refs };
}

function verticalBars(spec: ChartSpec, frame: Frame): SvgNode[] {
  const { nodes, x0, x1, bottom, scale, band, refs } = verticalFrame(spec, frame);
  const zero = scale(0);
  const barW = Math.max(1, band - GAP);
  spec.items.forEach((item, i) => {
    const cx = x0 + i * band + band / 2;
    nodes.push(txt(frame, cx, bottom + 18, item.label, { anchor: 'middle', weight: item.highlight ? 700 : undefined }));
    if (item.value === null) {
      nodes.push(txt(frame, cx, zero - 6, valueText(spec, item), { anchor: 'middle' }));
      return;
    }
    const y = scale(item.value);
    nodes.push(rect(frame, cx - barW / 2, Math.min(y, zero), barW, Math.abs(zero - y), barFill(spec, item)));
    nodes.push(
      txt(frame, cx, item.value >= 0 ? y - 6 : y + 16, valueText(spec, item), {
        anchor: 'middle',
        weight: item.highlight ? 700 : undefined,
      }),
    );
  });
  nodes.push(line(frame, x0, zero, x1, zero, { stroke: CHART_COLORS.axis, 'stroke-width': 1 }));
  nodes.push(...horizontalReferences(spec, frame, refs, x0, x1, scale));
  return nodes;
}

function horizontalReferences(
  spec: ChartSpec,
  frame: Frame,
  refs: readonly ReferenceLine[],
  x0: number,
  x1: number,
  scale: (v: number) => number,
): SvgNode[] {
  const nodes: SvgNode[] = [];
  for (const ref of refs) {
    const y = scale(ref.value);
    nodes.push(
      line(frame, x0, y, x1, y, { stroke: CHART_COLORS.target, 'stroke-width': 2, 'stroke-dasharray': '6 4' }),
    );
    nodes.push(txt(frame, x1, y - 4, referenceLabel(spec, ref), { anchor: 'end', size: 11 }));
  }
  return nodes;
}

function lineChart(spec: ChartSpec, frame: Frame): SvgNode[] {
  const { nodes, x0, x1, bottom, scale, band, refs } = verticalFrame(spec, frame);
  let d = '';
  let penDown = false;
  const points: SvgNode[] = [];
  spec.items.forEach((item, i) => {
    const cx = x0 + i * band + band / 2;
    nodes.push(txt(frame, cx, bottom + 18, item.label, { anchor: 'middle' }));
    if (item.value === null) {
      penDown = false;
      points.push(txt(frame, cx, bottom - 6, valueText(spec, item), { anchor: 'middle' }));
      return;
    }
    const y = scale(item.value);
    const px = frame.x(cx);
    d += `${penDown ? 'L' : 'M'}${fmt(px)} ${fmt(y)}`;
    penDown = true;
    points.push(
      el('circle', { cx: px, cy: y, r: 4, fill: item.highlight ? CHART_COLORS.highlight : CHART_COLORS.series }),
    );
    points.push(txt(frame, cx, y - 10, valueText(spec, item), { anchor: 'middle', size: 11 }));
  });
  nodes.push(line(frame, x0, bottom, x1, bottom, { stroke: CHART_COLORS.axis, 'stroke-width': 1 }));
  if (d !== '') nodes.push(el('path', { d, fill: 'none', stroke: CHART_COLORS.series, 'stroke-width': 2.5 }));
  nodes.push(...points);
  nodes.push(...horizontalReferences(spec, frame, refs, x0, x1, scale));
  return nodes;
}

function fmt(v: number): string {
  const r = Math.round(v * 100) / 100;
  return Object.is(r, -0) ? '0' : String(r);
}

/** The chart as an SVG tree: root `<svg role="img">` with `<title>`, `<desc>`, background, title text and marks. */
export function renderChart(spec: ChartSpec): SvgElement {
  const width = spec.width ?? DEFAULT_WIDTH;
  const height = spec.height ?? DEFAULT_HEIGHT;
  const rtl = spec.lang === 'ar';
  const frame: Frame = { width, height, rtl, x: (v) => (rtl ? width - v : v) };
  const desc = spec.desc ?? describeChart(spec);
  const marks =
    spec.kind === 'hbar'
      ? horizontalBars(spec, frame)
      : spec.kind === 'bar'
        ? verticalBars(spec, frame)
        : lineChart(spec, frame);
  const defs = spec.items.some((i) => i.pattern)
    ? [
        el('defs', {}, [
          el(
            'pattern',
            {
              id: `${spec.id}-hatch`,
              patternUnits: 'userSpaceOnUse',
              width: 6,
              height: 6,
              patternTransform: 'rotate(45)',
            },
            [
              el('rect', { width: 6, height: 6, fill: CHART_COLORS.background }),
              el('line', { x1: 0, y1: 0, x2: 0, y2: 6, stroke: CHART_COLORS.series, 'stroke-width': 3 }),
            ],
          ),
        ]),
      ]
    : [];
  return el(
    'svg',
    {
      xmlns: 'http://www.w3.org/2000/svg',
      width,
      height,
      viewBox: `0 0 ${width} ${height}`,
      role: 'img',
      'aria-labelledby': `${spec.id}-title ${spec.id}-desc`,
      lang: spec.lang,
      direction: rtl ? 'rtl' : undefined,
      'font-family': CHART_FONT_FAMILY,
    },
    [
      el('title', { id: `${spec.id}-title` }, [text(spec.title)]),
      el('desc', { id: `${spec.id}-desc` }, [text(desc)]),
      ...defs,
      el('rect', { width, height, fill: CHART_COLORS.background }),
      txt(frame, PAD, 26, spec.title, { size: TITLE_FONT, weight: 700 }),
      ...marks,
    ],
  );
}
