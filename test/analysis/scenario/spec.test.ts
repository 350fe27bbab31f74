import { describe, expect, it } from 'vitest';
import { AnalysisError } from '../../../src/analysis/model.js';
import {
  checkScenarioSpec,
  MAX_SPEC_BYTES,
  parseScenarioSpec,
  type SpecIssue,
} from '../../../src/analysis/scenario/spec.js';

const minimal = {
  name: 'Cut',
  metric: 'retention',
  transforms: [{ type: 'multiplicative', value: -0.1 }],
};

function issuesOf(input: unknown): SpecIssue[] {
  const r = checkScenarioSpec(input);
  if (r.ok) throw new Error('expected the spec to be invalid');
  return r.issues;
}

describe('scenario spec: valid input and defaults', () => {
  it('fills the defaults: sector ALL, horizon 12, start_month 0, end_month null, optional fields null', () => {
    expect(parseScenarioSpec(minimal)).toEqual({
      name: 'Cut',
      description: null,
      metric: 'retention',
      sector: 'ALL',
      horizon_months: 12,
      transforms: [{ type: 'multiplicative', value: -0.1, start_month: 0, end_month: null }],
      clamp_min: null,
      clamp_max: null,
    });
  });

  it('resolves metric aliases and sector spelling', () => {
    expect(parseScenarioSpec({ ...minimal, metric: 'salary' }).metric).toBe('avg_salary');
    expect(parseScenarioSpec({ ...minimal, metric: 'wage' }).metric).toBe('avg_salary');
    expect(parseScenarioSpec({ ...minimal, metric: 'turnover' }).metric).toBe('attrition');
    expect(parseScenarioSpec({ ...minimal, sector: 'energy' }).sector).toBe('Energy');
    expect(parseScenarioSpec({ ...minimal, sector: 'ict' }).sector).toBe('ICT');
    expect(parseScenarioSpec({ ...minimal, sector: 'all' }).sector).toBe('ALL');
  });

  it('reads JSON text, YAML text and objects to the same spec, and reports which it was', () => {
    const json = JSON.stringify({ ...minimal, sector: 'Energy', horizon_months: 24 });
    const yaml = [
      'name: Cut',
      'metric: retention',
      'sector: Energy',
      'horizon_months: 24',
      'transforms:',
      '  - type: multiplicative',
      '    value: -0.1',
    ].join('\n');
    const a = checkScenarioSpec(json);
    const b = checkScenarioSpec(`\n${yaml}\n`);
    const c = checkScenarioSpec({ ...minimal, sector: 'Energy', horizon_months: 24 });
    expect(a.ok && a.format).toBe('json');
    expect(b.ok && b.format).toBe('yaml');
    expect(c.ok && c.format).toBe('dict');
    if (!a.ok || !b.ok || !c.ok) throw new Error('unreachable');
    expect(a.spec).toEqual(c.spec);
    expect(b.spec).toEqual(c.spec);
    expect(c.spec.horizon_months).toBe(24);
  });

  it('keeps every transform type with its parameters and step range', () => {
    const spec = parseScenarioSpec({
      name: 'All types',
      description: 'every transform',
      metric: 'avg_salary',
      transforms: [
        { type: 'additive', value: 500, start_month: 2, end_month: 5 },
        { type: 'multiplicative', value: 1 },
        { type: 'growth_override', value: -1, start_month: 3 },
        { type: 'clamp', min: 1000 },
        { type: 'clamp', max: 50000, end_month: null },
      ],
      clamp_min: 0,
      clamp_max: 90000,
      format: 'dict',
    });
    expect(spec.description).toBe('every transform');
    expect(spec.transforms).toEqual([
      { type: 'additive', value: 500, start_month: 2, end_month: 5 },
      { type: 'multiplicative', value: 1, start_month: 0, end_month: null },
      { type: 'growth_override', value: -1, start_month: 3, end_month: null },
      { type: 'clamp', min: 1000, max: null, start_month: 0, end_month: null },
      { type: 'clamp', min: null, max: 50000, start_month: 0, end_month: null },
    ]);
    expect([spec.clamp_min, spec.clamp_max]).toEqual([0, 90000]);
  });
});

describe('scenario spec: issues with JSON Pointer paths', () => {
  it('an out-of-range multiplicative value', () => {
    expect(issuesOf({ ...minimal, transforms: [{ type: 'multiplicative', value: 1.5 }] })).toEqual([
      { path: '/transforms/0/value', code: 'out_of_range', message: 'multiplicative value must be within [-1, 1]' },
    ]);
    expect(
      issuesOf({
        ...minimal,
        transforms: [
          { type: 'additive', value: 1 },
          { type: 'growth_override', value: -2 },
        ],
      }),
    ).toEqual([
      { path: '/transforms/1/value', code: 'out_of_range', message: 'growth_override value must be within [-1, 1]' },
    ]);
  });

  it('unknown fields at the root and inside a transform, with RFC 6901 escaping', () => {
    expect(
      issuesOf({ ...minimal, colour: 'red', 'a/b~c': 1, transforms: [{ type: 'additive', value: 1, factor: 2 }] }),
    ).toEqual([
      { path: '/colour', code: 'unknown_field', message: 'unknown field "colour"' },
      { path: '/a~1b~0c', code: 'unknown_field', message: 'unknown field "a/b~c"' },
      { path: '/transforms/0/factor', code: 'unknown_field', message: 'unknown field "factor"' },
    ]);
    // A clamp takes min/max, not value.
    expect(issuesOf({ ...minimal, transforms: [{ type: 'clamp', min: 1, value: 2 }] })).toEqual([
      { path: '/transforms/0/value', code: 'unknown_field', message: 'unknown field "value"' },
    ]);
  });

  it('wrong types', () => {
    expect(issuesOf({ ...minimal, horizon_months: '12' })).toEqual([
      { path: '/horizon_months', code: 'type', message: 'horizon_months must be an integer, not a string' },
    ]);
    expect(issuesOf({ ...minimal, horizon_months: 6.5 })).toEqual([
      { path: '/horizon_months', code: 'type', message: 'horizon_months must be an integer, not a number' },
    ]);
    expect(issuesOf({ ...minimal, transforms: { type: 'additive' } })).toEqual([
      { path: '/transforms', code: 'type', message: 'transforms must be a list, not a mapping' },
    ]);
    expect(issuesOf({ ...minimal, transforms: [{ type: 'additive', value: 'ten' }] })).toEqual([
      { path: '/transforms/0/value', code: 'type', message: 'value must be a finite number, not a string' },
    ]);
    expect(issuesOf({ ...minimal, name: 7 })).toEqual([
      { path: '/name', code: 'type', message: 'name must be a string, not a number' },
    ]);
    expect(issuesOf(['not', 'a', 'mapping'])).toEqual([
      { path: '', code: 'type', message: 'spec must be a mapping, not a list' },
    ]);
  });

  it('missing required fields', () => {
    const { name: _name, ...noName } = minimal;
    expect(issuesOf(noName)).toEqual([{ path: '/name', code: 'required', message: 'name is required' }]);
    expect(issuesOf({ name: 'x' })).toEqual([
      { path: '/metric', code: 'required', message: 'metric is required' },
      { path: '/transforms', code: 'required', message: 'transforms is required' },
    ]);
    expect(issuesOf({ ...minimal, transforms: [{ value: 1 }] })).toEqual([
      { path: '/transforms/0/type', code: 'required', message: 'type is required' },
    ]);
    expect(issuesOf({ ...minimal, transforms: [{ type: 'additive' }] })).toEqual([
      { path: '/transforms/0/value', code: 'required', message: 'value is required' },
    ]);
    expect(issuesOf({ ...minimal, transforms: [{ type: 'clamp' }] })).toEqual([
      { path: '/transforms/0', code: 'required', message: 'clamp needs min, max or both' },
    ]);
  });

  it('ranges: name length, horizon, transform count, months, clamps, enumerations', () => {
    expect(issuesOf({ ...minimal, name: 'x'.repeat(101) })).toEqual([
      { path: '/name', code: 'out_of_range', message: 'name must be 1 to 100 characters; got 101' },
    ]);
    expect(issuesOf({ ...minimal, name: '   ' })[0]).toMatchObject({ path: '/name', code: 'out_of_range' });
    expect(issuesOf({ ...minimal, description: 'd'.repeat(501) })[0]).toMatchObject({
      path: '/description',
      code: 'out_of_range',
    });
    expect(issuesOf({ ...minimal, horizon_months: 97 })).toEqual([
      { path: '/horizon_months', code: 'out_of_range', message: 'horizon_months must be within 1..96' },
    ]);
    expect(issuesOf({ ...minimal, horizon_months: 0 })[0]).toMatchObject({
      path: '/horizon_months',
      code: 'out_of_range',
    });
    expect(issuesOf({ ...minimal, transforms: [] })).toEqual([
      { path: '/transforms', code: 'out_of_range', message: 'transforms must hold 1 to 10 items; got 0' },
    ]);
    expect(issuesOf({ ...minimal, transforms: Array(11).fill({ type: 'additive', value: 1 }) })[0]).toMatchObject({
      path: '/transforms',
      code: 'out_of_range',
    });
    expect(issuesOf({ ...minimal, transforms: [{ type: 'additive', value: 1, start_month: -1 }] })).toEqual([
      { path: '/transforms/0/start_month', code: 'out_of_range', message: 'start_month must be at least 0' },
    ]);
    expect(
      issuesOf({ ...minimal, transforms: [{ type: 'additive', value: 1, start_month: 4, end_month: 3 }] }),
    ).toEqual([
      { path: '/transforms/0/end_month', code: 'out_of_range', message: 'end_month must be at least start_month' },
    ]);
    expect(issuesOf({ ...minimal, transforms: [{ type: 'clamp', min: 5, max: 4 }] })).toEqual([
      { path: '/transforms/0/max', code: 'out_of_range', message: 'clamp max must be at least min' },
    ]);
    expect(issuesOf({ ...minimal, clamp_min: 50, clamp_max: 50 })).toEqual([
      { path: '/clamp_max', code: 'out_of_range', message: 'clamp_max must be greater than clamp_min' },
    ]);
    expect(issuesOf({ ...minimal, metric: 'unemployment' })[0]).toMatchObject({
      path: '/metric',
      code: 'out_of_range',
    });
    expect(issuesOf({ ...minimal, sector: 'Mining' })[0]).toMatchObject({ path: '/sector', code: 'out_of_range' });
    expect(issuesOf({ ...minimal, transforms: [{ type: 'scale', value: 1 }] })).toEqual([
      {
        path: '/transforms/0/type',
        code: 'out_of_range',
        message: 'type must be one of additive, multiplicative, growth_override, clamp',
      },
    ]);
    expect(issuesOf({ ...minimal, format: 'xml' })).toEqual([
      { path: '/format', code: 'out_of_range', message: 'format must be one of dict, json, yaml' },
    ]);
  });

  it('lists every issue of a spec, in field order', () => {
    expect(
      issuesOf({
        name: '',
        metric: 'retention',
        horizon_months: 200,
        transforms: [{ type: 'multiplicative', value: 2 }],
      }).map((i) => i.path),
    ).toEqual(['/name', '/horizon_months', '/transforms/0/value']);
  });

  it('parse errors carry the line and column', () => {
    const yaml = 'name: Test\nmetric: retention\n  bad: indent\n';
    expect(issuesOf(yaml)).toEqual([
      {
        path: '',
        code: 'parse_error',
        message: 'invalid YAML at line 2, column 9: Nested mappings are not allowed in compact mappings',
        line: 2,
        column: 9,
      },
    ]);
    expect(issuesOf('{\n  "name": "x",\n}')[0]).toMatchObject({ path: '', code: 'parse_error', line: 3, column: 1 });
    expect(issuesOf('{"name": "x"')[0]).toMatchObject({ path: '', code: 'parse_error', line: 1, column: 13 });
    expect(issuesOf('name: x\nname: y\n')[0]).toMatchObject({ code: 'parse_error', line: 2, column: 1 });
  });

  it('refuses custom YAML tags (safe loader)', () => {
    const yaml = 'name: x\nmetric: retention\ntransforms:\n  - type: additive\n    value: !!python/object 1\n';
    const [issue] = issuesOf(yaml);
    expect(issue).toMatchObject({ path: '', code: 'parse_error', line: 5, column: 12 });
    expect(issue!.message).toContain('Unresolved tag');
    expect(issuesOf('name: !custom x\n')[0]).toMatchObject({ code: 'parse_error', line: 1, column: 7 });
  });

  it('refuses input over 64 KiB, as text or as an object', () => {
    const big = `name: x\ndescription: ${'a'.repeat(MAX_SPEC_BYTES)}\n`;
    const bytes = Buffer.byteLength(big, 'utf8');
    expect(issuesOf(big)).toEqual([
      { path: '', code: 'out_of_range', message: `spec must be at most 64 KiB (65536 bytes); got ${bytes} bytes` },
    ]);
    expect(issuesOf({ ...minimal, description: 'a'.repeat(MAX_SPEC_BYTES) })[0]).toMatchObject({
      path: '',
      code: 'out_of_range',
    });
    // Exactly 64 KiB of YAML is still read (and then judged on its fields).
    const edge = `name: x\nmetric: retention\ntransforms: [{type: additive, value: 1}]\n#${'c'.repeat(MAX_SPEC_BYTES)}`;
    const trimmed = edge.slice(0, MAX_SPEC_BYTES);
    expect(checkScenarioSpec(trimmed).ok).toBe(true);
  });

  it('parseScenarioSpec throws AnalysisError scenario_spec_invalid with the issues as details', () => {
    let caught: unknown = null;
    try {
      parseScenarioSpec({ ...minimal, transforms: [{ type: 'multiplicative', value: 1.5 }], extra: true });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(AnalysisError);
    const err = caught as AnalysisError;
    expect(err.code).toBe('scenario_spec_invalid');
    expect(err.message).toBe('scenario spec is invalid: /extra: unknown field "extra" (and 1 more issue)');
    expect(err.details).toEqual({
      issues: [
        { path: '/extra', code: 'unknown_field', message: 'unknown field "extra"' },
        { path: '/transforms/0/value', code: 'out_of_range', message: 'multiplicative value must be within [-1, 1]' },
      ],
    });
  });

  it('prefixes paths when the spec sits in a list', () => {
    const r = checkScenarioSpec({ ...minimal, horizon_months: 0 }, { pathPrefix: '/specs/2' });
    expect(r.ok ? [] : r.issues.map((i) => i.path)).toEqual(['/specs/2/horizon_months']);
  });
});
