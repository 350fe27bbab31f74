import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EnvFileError, parseEnvFile, readEnvFile } from '../../src/config/env-file.js';

function issuesOf(text: string): string[] {
  try {
    parseEnvFile(text, '.env');
  } catch (err) {
    expect(err).toBeInstanceOf(EnvFileError);
    return (err as EnvFileError).message.split('\n');
  }
  throw new Error('expected an EnvFileError');
}

describe('parseEnvFile', () => {
  it('reads KEY=VALUE lines, skipping comments and blank lines', () => {
    const text = ['# QNWIS production settings', '', 'QNWIS_ENV=prod', '   ', '  # indented comment', 'PORT=8000'].join(
      '\n',
    );
    expect(parseEnvFile(text)).toEqual({ QNWIS_ENV: 'prod', PORT: '8000' });
  });

  it('trims unquoted values and strips inline comments only after whitespace', () => {
    const text = [
      'A=  spaced value  ',
      'B=value # comment',
      'C=value# not a comment',
      'D=',
      'E= # only a comment',
      'F=a=b=c',
    ].join('\n');
    expect(parseEnvFile(text)).toEqual({
      A: 'spaced value',
      B: 'value',
      C: 'value# not a comment',
      D: '',
      E: '',
      F: 'a=b=c',
    });
  });

  it('handles double quotes (escapes), single quotes (literal) and comments after the closing quote', () => {
    const text = [
      'A="VAL # not a comment"',
      'B="VAL" # comment',
      "C='$OTHER ${OTHER}'",
      'D="tab\\there\\nnewline \\"quoted\\" back\\\\slash"',
      "E='Let\\'s go!'",
      "F='single \\t stays'",
      'G=""',
      'H="a\\qb"',
    ].join('\n');
    expect(parseEnvFile(text)).toEqual({
      A: 'VAL # not a comment',
      B: 'VAL',
      C: '$OTHER ${OTHER}',
      D: 'tab\there\nnewline "quoted" back\\slash',
      E: "Let's go!",
      F: 'single \\t stays',
      G: '',
      H: 'a\\qb',
    });
  });

  it('never interpolates or executes anything', () => {
    const text = ['HOME_COPY=$HOME', 'CMD=$(touch /tmp/qnwis-pwned)', 'BRACED="${PATH}"', 'TICKS=`id`'].join('\n');
    expect(parseEnvFile(text)).toEqual({
      HOME_COPY: '$HOME',
      CMD: '$(touch /tmp/qnwis-pwned)',
      BRACED: '${PATH}',
      TICKS: '`id`',
    });
  });

  it('accepts an export prefix, spaces around the key, CRLF line ends and a BOM', () => {
    const text = '\uFEFFexport QNWIS_ENV=prod\r\n  PORT = 9000\r\nHOST=127.0.0.1\r\n';
    expect(parseEnvFile(text)).toEqual({ QNWIS_ENV: 'prod', PORT: '9000', HOST: '127.0.0.1' });
  });

  it('lets a quoted value span lines and keeps counting lines after it', () => {
    const text = ['KEY="line one', 'line two"', 'AFTER=1', 'bad line'].join('\n');
    expect(issuesOf(text)).toEqual(['.env:4: expected KEY=VALUE']);
    expect(parseEnvFile(['KEY="line one', 'line two" # c', 'AFTER=1'].join('\n'))).toEqual({
      KEY: 'line one\nline two',
      AFTER: '1',
    });
  });

  it('a later duplicate wins, as in Compose', () => {
    expect(parseEnvFile('PORT=1\nPORT=2\n')).toEqual({ PORT: '2' });
  });

  it('reports every malformed line with its 1-based number', () => {
    const text = [
      'GOOD=1',
      'JUST_A_NAME',
      '9BAD=1',
      'BAD-NAME=1',
      'Q="closed" trailing',
      "S='unterminated",
      'LAST=1',
    ].join('\n');
    expect(issuesOf(text)).toEqual([
      '.env:2: expected KEY=VALUE',
      '.env:3: invalid variable name "9BAD"',
      '.env:4: invalid variable name "BAD-NAME"',
      '.env:5: unexpected text after the closing quote',
      '.env:6: unterminated single-quoted value',
    ]);
  });

  it('readEnvFile names the file in every issue and leaves filesystem errors alone', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qnwis-env-file-'));
    try {
      const file = path.join(dir, 'prod.env');
      fs.writeFileSync(file, 'QNWIS_ENV=prod\nnope\n');
      expect(() => readEnvFile(file)).toThrow(`${file}:2: expected KEY=VALUE`);
      fs.writeFileSync(file, 'QNWIS_ENV=prod\n');
      expect(readEnvFile(file)).toEqual({ QNWIS_ENV: 'prod' });
      expect(() => readEnvFile(path.join(dir, 'missing.env'))).toThrow(/ENOENT/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
