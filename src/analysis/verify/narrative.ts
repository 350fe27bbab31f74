/**
 * The Markdown structure verification reads (analysis spec §5.1): citation markers, and the units a marker covers
 * — a sentence within a paragraph, a list item or other single line, a table row (a marker on the line directly
 * above a table covers the whole table). Sections whose heading is listed in `skipped_sections` are left out.
 * Pure string work; any text parses.
 */

/** `[cite:ID]` / `[cite:ID1,ID2]`; ids that break the grammar are kept so that L1 can report them. */
const MARKER = /\[cite:([^\]\n]*)\]/g;
export const CITATION_ID = /^[A-Za-z0-9_.:-]+$/;

const HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$/;
const LIST_ITEM = /^[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+\S/;
const TABLE_LINE = /^[ \t]*\|/;
const TABLE_SEPARATOR = /^[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$/;

export interface Marker {
  /** Ids in marker order, trimmed; may include malformed ones (see CITATION_ID). */
  ids: string[];
  /** Offsets of the whole marker in the unit text. */
  start: number;
  end: number;
}

export type UnitKind = 'heading' | 'sentence' | 'list_item' | 'table_row';

export interface TextUnit {
  kind: UnitKind;
  /** The unit's text as written (a sentence or a list item may span lines). */
  text: string;
  /** 1-based line of the unit's first character. */
  line: number;
  markers: Marker[];
  /** Ids inherited from a table caption (table rows only). */
  captionIds: string[];
  /** Index into ParsedNarrative.tables (table rows only). */
  table?: number;
}

export interface TableRow {
  line: number;
  cells: string[];
  header: boolean;
  separator: boolean;
}

export interface NarrativeTable {
  line: number;
  captionIds: string[];
  rows: TableRow[];
}

export interface ParsedNarrative {
  units: TextUnit[];
  tables: NarrativeTable[];
}

/** Every marker in `text`, with offsets. */
export function findMarkers(text: string): Marker[] {
  const out: Marker[] = [];
  for (const m of text.matchAll(MARKER)) {
    const ids = (m[1] ?? '').split(',').map((s) => s.trim());
    out.push({ ids, start: m.index, end: m.index + m[0].length });
  }
  return out;
}

/** `text` with every marker replaced by spaces (offsets and line breaks kept). */
export function maskMarkers(text: string): string {
  return text.replace(MARKER, (m) => ' '.repeat(m.length));
}

/** Splits a Markdown table row into trimmed cells (outer pipes removed; `\|` is not a cell border). */
export function tableCells(line: string): string[] {
  let body = line.trim();
  if (body.startsWith('|')) body = body.slice(1);
  if (body.endsWith('|') && !body.endsWith('\\|')) body = body.slice(0, -1);
  return body.split(/(?<!\\)\|/).map((c) => c.trim());
}

export function isTableLine(line: string): boolean {
  return TABLE_LINE.test(line);
}

export function isTableSeparator(line: string): boolean {
  return TABLE_SEPARATOR.test(line) && line.includes('-');
}

export function headingOf(line: string): { level: number; title: string } | null {
  const m = HEADING.exec(line);
  if (!m) return null;
  return { level: (m[1] ?? '#').length, title: (m[2] ?? '').replace(/[ \t]+#+$/, '') };
}

/** A heading title reduced for comparison with the skipped-section names. */
function sectionName(title: string): string {
  return maskMarkers(title).replace(/[*_`]/g, '').replace(/:\s*$/, '').trim().toLowerCase();
}

/** The narrative's lines without carriage returns. */
export function narrativeLines(text: string): string[] {
  return text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

function idsOf(markers: readonly Marker[]): string[] {
  return markers.flatMap((m) => m.ids);
}

/**
 * Sentences of a paragraph: split after ".", "!" or "?" followed by whitespace; leading whitespace of each piece
 * is dropped (its line number follows).
 */
function sentences(paragraph: string, firstLine: number): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  let from = 0;
  let line = firstLine;
  let counted = 0; // line breaks before `counted` are in `line`
  const push = (to: number): void => {
    let start = from;
    while (start < to && /\s/.test(paragraph[start] ?? '')) start += 1;
    const piece = paragraph.slice(start, to).replace(/\s+$/, '');
    if (piece.length > 0) {
      for (; counted < start; counted += 1) if (paragraph[counted] === '\n') line += 1;
      out.push({ text: piece, line });
    }
  };
  for (const m of paragraph.matchAll(/[.!?](?=\s)/g)) {
    push(m.index + 1);
    from = m.index + 1;
  }
  push(paragraph.length);
  return out;
}

/** Parses the narrative into covered units and tables, leaving out the skipped sections. */
export function parseNarrative(text: string, skippedSections: readonly string[]): ParsedNarrative {
  const skipped = new Set(skippedSections.map((s) => s.toLowerCase()));
  const lines = narrativeLines(text);
  const units: TextUnit[] = [];
  const tables: NarrativeTable[] = [];
  let skipLevel: number | null = null;
  let para: string[] = [];
  let paraLine = 0;

  const flush = (): void => {
    if (para.length === 0) return;
    for (const s of sentences(para.join('\n'), paraLine)) {
      units.push({ kind: 'sentence', text: s.text, line: s.line, markers: findMarkers(s.text), captionIds: [] });
    }
    para = [];
  };

  let i = 0;
  while (i < lines.length) {
    const line = lines[i] ?? '';
    const heading = headingOf(line);
    if (heading) {
      flush();
      if (skipLevel !== null && heading.level <= skipLevel) skipLevel = null;
      if (skipLevel === null && skipped.has(sectionName(heading.title))) skipLevel = heading.level;
      else if (skipLevel === null) {
        units.push({ kind: 'heading', text: line, line: i + 1, markers: findMarkers(line), captionIds: [] });
      }
      i += 1;
      continue;
    }
    if (skipLevel !== null) {
      i += 1;
      continue;
    }
    if (line.trim() === '') {
      flush();
      i += 1;
      continue;
    }
    if (isTableLine(line)) {
      flush();
      let end = i;
      while (end < lines.length && isTableLine(lines[end] ?? '')) end += 1;
      // The caption: the line directly above, or the one above a single blank line.
      let cap = i - 1;
      if (cap >= 0 && (lines[cap] ?? '').trim() === '') cap -= 1;
      const capLine = cap >= 0 ? (lines[cap] ?? '') : '';
      const captionIds = capLine.trim() !== '' && !isTableLine(capLine) ? idsOf(findMarkers(capLine)) : [];
      const index = tables.length;
      const rows: TableRow[] = [];
      for (let r = i; r < end; r += 1) {
        const raw = lines[r] ?? '';
        const separator = isTableSeparator(raw);
        const header = r === i && end > i + 1 && isTableSeparator(lines[i + 1] ?? '');
        rows.push({ line: r + 1, cells: tableCells(raw), header, separator });
        if (!separator) {
          units.push({
            kind: 'table_row',
            text: raw,
            line: r + 1,
            markers: findMarkers(raw),
            captionIds,
            table: index,
          });
        }
      }
      tables.push({ line: i + 1, captionIds, rows });
      i = end;
      continue;
    }
    if (LIST_ITEM.test(line)) {
      flush();
      let end = i + 1;
      while (end < lines.length) {
        const next = lines[end] ?? '';
        if (next.trim() === '' || !/^[ \t]/.test(next)) break;
        if (LIST_ITEM.test(next) || isTableLine(next) || headingOf(next)) break;
        end += 1;
      }
      const body = lines.slice(i, end).join('\n');
      units.push({ kind: 'list_item', text: body, line: i + 1, markers: findMarkers(body), captionIds: [] });
      i = end;
      continue;
    }
    if (para.length === 0) paraLine = i + 1;
    para.push(line);
    i += 1;
  }
  flush();
  return { units, tables };
}

/** All citation ids a unit is covered by: its own markers, then its table caption's. */
export function coveringIds(unit: TextUnit): string[] {
  const ids: string[] = [];
  for (const id of [...idsOf(unit.markers), ...unit.captionIds]) if (!ids.includes(id)) ids.push(id);
  return ids;
}
