/**
 * JSON text of results (data-layer spec §8.2, §10.2). Rows are `Map`s whose key order is part of the result; plain
 * objects would move integer-like keys ("2", "10") to the front, so writing and reading go through ordered structures.
 */
import { Ajv } from 'ajv';
import { parseDocument } from 'yaml';
import {
  UNITS,
  type Freshness,
  type Provenance,
  type QueryResult,
  type Row,
  type Scalar,
  type StoredResult,
} from './model.js';

/** A stored or cached result text that is not a valid StoredResult. */
export class ResultSchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResultSchemaError';
  }
}

/** Ordered JSON tree for the writer: Maps are objects written in insertion order. */
type OrderedJson = Scalar | readonly OrderedJson[] | ReadonlyMap<string, OrderedJson>;

export function rowToJson(row: Row): string {
  return writeJson(row, '', '');
}

/** For consumers that do not care about key order (integer-like keys move to the front). */
export function rowToPlainObject(row: Row): Record<string, Scalar> {
  // fromEntries defines own properties, so a `__proto__` key stays data.
  return Object.fromEntries(row);
}

/** Compact JSON, members in the order of §8.2; extra members (such as timings) are never written. */
export function storedResultToJson(r: StoredResult): string {
  return writeJson(storedResultTree(r), '', '');
}

/** The full result with timings last; `indent` (spaces, as for JSON.stringify) gives pretty output. */
export function resultToJson(r: QueryResult, indent?: number): string {
  const tree = new Map(storedResultTree(r));
  tree.set(
    'timings',
    new Map<string, OrderedJson>([
      ['total_ms', r.timings.total_ms],
      ['source_ms', r.timings.source_ms],
      ['postprocess_ms', r.timings.postprocess_ms],
      ['cache', r.timings.cache],
    ]),
  );
  const width = indent === undefined ? 0 : Math.min(10, Math.max(0, Math.floor(indent)));
  return writeJson(tree, ' '.repeat(width), '');
}

function storedResultTree(r: StoredResult): Map<string, OrderedJson> {
  return new Map<string, OrderedJson>([
    ['query_id', r.query_id],
    ['unit', r.unit],
    ['rows', r.rows],
    ['row_count', r.row_count],
    ['provenance', provenanceTree(r.provenance)],
    ['freshness', freshnessTree(r.freshness)],
    ['warnings', r.warnings],
    ['registry_version', r.registry_version],
  ]);
}

function provenanceTree(p: Provenance): Map<string, OrderedJson> {
  return new Map<string, OrderedJson>([
    ['source', p.source],
    ['dataset_id', p.dataset_id],
    ['locator', p.locator],
    ['fields', p.fields],
    ['license', p.license],
  ]);
}

function freshnessTree(f: Freshness): Map<string, OrderedJson> {
  return new Map<string, OrderedJson>([
    ['asof_date', f.asof_date],
    ['updated_at', f.updated_at],
  ]);
}

/** Same text as JSON.stringify(value, null, gap) would give if objects kept insertion order. */
function writeJson(value: OrderedJson, gap: string, indent: string): string {
  if (value instanceof Map) {
    const map = value as ReadonlyMap<string, OrderedJson>;
    if (map.size === 0) return '{}';
    const inner = indent + gap;
    const colon = gap === '' ? ':' : ': ';
    const members: string[] = [];
    for (const [key, member] of map) members.push(`${JSON.stringify(key)}${colon}${writeJson(member, gap, inner)}`);
    return gap === '' ? `{${members.join(',')}}` : `{\n${inner}${members.join(`,\n${inner}`)}\n${indent}}`;
  }
  if (Array.isArray(value)) {
    const items = value as readonly OrderedJson[];
    if (items.length === 0) return '[]';
    const inner = indent + gap;
    const written = items.map((item) => writeJson(item, gap, inner));
    return gap === '' ? `[${written.join(',')}]` : `[\n${inner}${written.join(`,\n${inner}`)}\n${indent}]`;
  }
  return JSON.stringify(value as Scalar);
}

// ---------------------------------------------------------------------------------------------------------------
// Reading

const RESULT_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['query_id', 'unit', 'rows', 'row_count', 'provenance', 'freshness', 'warnings', 'registry_version'],
  properties: {
    query_id: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_]{0,127}$' },
    unit: { type: 'string', enum: [...UNITS] },
    rows: {
      type: 'array',
      items: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean', 'null'] } },
    },
    row_count: { type: 'integer', minimum: 0 },
    provenance: {
      type: 'object',
      additionalProperties: false,
      required: ['source', 'dataset_id', 'locator', 'fields', 'license'],
      properties: {
        source: { type: 'string', enum: ['csv', 'world_bank', 'postgres'] },
        dataset_id: { type: 'string' },
        // §8.2: never absolute, never with `..`, never a drive prefix.
        locator: { type: 'string', not: { type: 'string', pattern: '^/|^[A-Za-z]:|\\.\\.' } },
        fields: { type: 'array', items: { type: 'string' } },
        license: { type: ['string', 'null'] },
      },
    },
    freshness: {
      type: 'object',
      additionalProperties: false,
      required: ['asof_date', 'updated_at'],
      properties: {
        asof_date: { type: ['string', 'null'], pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' },
        updated_at: {
          type: ['string', 'null'],
          pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\\.[0-9]+)?Z$',
        },
      },
    },
    warnings: { type: 'array', items: { type: 'string' } },
    registry_version: { type: 'string', pattern: '^(?:[0-9a-f]{12}|empty)$' },
  },
} as const;

const validateResult = new Ajv({ allErrors: false, allowUnionTypes: true }).compile(RESULT_SCHEMA);

/** Validated shape before rows become Maps. */
interface PlainStoredResult extends Omit<StoredResult, 'rows'> {
  rows: Record<string, Scalar>[];
}

/**
 * Strict schema check of a parsed result. Rows may be plain objects or `Map<string, Scalar>` (kept in their order);
 * any missing, extra or mistyped member throws ResultSchemaError.
 */
export function parseStoredResult(value: unknown): StoredResult {
  const rowEntries = rowEntriesOf(value);
  const candidate =
    rowEntries === undefined
      ? value
      : { ...(value as Record<string, unknown>), rows: rowEntries.map((entries) => Object.fromEntries(entries)) };
  if (!validateResult(candidate)) {
    throw new ResultSchemaError(`invalid stored result: ${describeErrors(validateResult.errors)}`);
  }
  const plain = candidate as unknown as PlainStoredResult;
  if (plain.row_count !== plain.rows.length) {
    throw new ResultSchemaError('invalid stored result: row_count differs from the number of rows');
  }
  // rowEntries is defined whenever validation passed (rows is an array of objects).
  const rows = (rowEntries ?? []).map((entries) => new Map(entries as [string, Scalar][]));
  return {
    query_id: plain.query_id,
    unit: plain.unit,
    rows,
    row_count: plain.row_count,
    provenance: {
      source: plain.provenance.source,
      dataset_id: plain.provenance.dataset_id,
      locator: plain.provenance.locator,
      fields: [...plain.provenance.fields],
      license: plain.provenance.license,
    },
    freshness: { asof_date: plain.freshness.asof_date, updated_at: plain.freshness.updated_at },
    warnings: [...plain.warnings],
    registry_version: plain.registry_version,
  };
}

/** Parses result JSON text, keeping the written key order of every row. */
export function parseStoredResultText(text: string): StoredResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ResultSchemaError('stored result is not valid JSON');
  }
  return parseStoredResultInDocument(text, parsed, []);
}

/**
 * The result found at `path` (object member names) inside the JSON document `text`, already parsed as `parsed`.
 * Only when a row has an integer-like key (which JSON.parse moves to the front) is the text parsed a second time
 * with an order-preserving parser to recover the written order.
 */
export function parseStoredResultInDocument(text: string, parsed: unknown, path: readonly string[]): StoredResult {
  const value = memberAt(parsed, path);
  if (!hasIntegerLikeRowKey(value)) return parseStoredResult(value);
  const orderedRows = orderedRowsFromText(text, path);
  const plainRows = (value as { rows: unknown[] }).rows;
  if (orderedRows.length !== plainRows.length) {
    throw new ResultSchemaError('invalid stored result: rows differ between parsers');
  }
  return parseStoredResult({ ...(value as Record<string, unknown>), rows: orderedRows });
}

const INTEGER_LIKE_KEY = /^(?:0|[1-9][0-9]*)$/;

function hasIntegerLikeRowKey(value: unknown): boolean {
  if (!isPlainRecord(value) || !Array.isArray(value.rows)) return false;
  return value.rows.some(
    (row: unknown) => isPlainRecord(row) && Object.keys(row).some((k) => INTEGER_LIKE_KEY.test(k)),
  );
}

function orderedRowsFromText(text: string, path: readonly string[]): unknown[] {
  // YAML 1.2 with the JSON schema is a JSON parser whose mappings keep document order.
  const doc = parseDocument(text, { schema: 'json' });
  if (doc.errors.length > 0) {
    throw new ResultSchemaError('stored result is not valid JSON');
  }
  let node: unknown = doc.toJS({ mapAsMap: true });
  for (const member of path) {
    node = node instanceof Map ? node.get(member) : undefined;
  }
  const rows = node instanceof Map ? node.get('rows') : undefined;
  if (!Array.isArray(rows)) throw new ResultSchemaError('invalid stored result: rows missing');
  return rows;
}

function memberAt(value: unknown, path: readonly string[]): unknown {
  let node = value;
  for (const member of path) {
    node = isPlainRecord(node) ? node[member] : undefined;
  }
  return node;
}

/** Entries of each row in order; undefined when there is no rows array (the schema check then reports it). */
function rowEntriesOf(value: unknown): [string, unknown][][] | undefined {
  if (!isPlainRecord(value) || !Array.isArray(value.rows)) return undefined;
  return (value.rows as unknown[]).map((row, index) => {
    if (isPlainRecord(row)) return Object.entries(row);
    if (row instanceof Map) {
      const entries: [string, unknown][] = [];
      for (const [key, cell] of row as Map<unknown, unknown>) {
        if (typeof key !== 'string')
          throw new ResultSchemaError(`invalid stored result: /rows/${index} has a non-string key`);
        entries.push([key, cell]);
      }
      return entries;
    }
    throw new ResultSchemaError(`invalid stored result: /rows/${index} must be object`);
  });
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function describeErrors(errors: typeof validateResult.errors): string {
  const first = errors?.[0];
  if (!first) return 'schema mismatch';
  return `${first.instancePath || '(root)'} ${first.message ?? 'is invalid'}`;
}
