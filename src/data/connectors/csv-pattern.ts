/**
 * CSV pattern safety (data-layer spec §5.1.2) and the glob dialect used to resolve patterns under the data root (§5.1.3).
 * Dialect: `*` any run of characters except `/`; `?` one character except `/`; `[...]` / `[!...]` classes; no braces, no
 * globstar; hidden names (leading `.`) never match, whatever the pattern says.
 */

const SAFE_CHARACTERS = /^[A-Za-z0-9 _.\-/*?[\]]+$/;
const DRIVE_PREFIX = /^[A-Za-z]:/;
const GLOB_CHARACTERS = /[*?[]/;

/** Returns null when the pattern is safe per §5.1.2, else a short reason (reported as `unsafe_pattern` at load time). */
export function checkCsvPattern(pattern: string): string | null {
  const trimmed = pattern.trim();
  if (trimmed === '') return 'pattern is empty';
  if (DRIVE_PREFIX.test(trimmed)) return 'pattern starts with a drive prefix';
  if (trimmed.includes('\\')) return 'pattern contains a backslash';
  if (trimmed.includes('**')) return 'pattern contains a globstar (**)';
  if (trimmed.includes('{') || trimmed.includes('}')) return 'pattern contains braces (not supported)';
  if (!SAFE_CHARACTERS.test(trimmed)) return 'pattern may only contain letters, digits, space and _ . - / * ? [ ]';
  if (trimmed.startsWith('/')) return 'pattern is absolute (starts with /)';
  if (trimmed.includes('..')) return 'pattern contains ..';
  if (trimmed.includes('//')) return 'pattern contains //';
  if (trimmed.startsWith(' ') || trimmed.endsWith(' ')) return 'pattern starts or ends with a space';
  if (!trimmed.endsWith('.csv')) return 'pattern does not end in .csv';
  return null;
}

/** One `/`-separated segment of a compiled pattern: a literal name, or a matcher for directory entry names. */
export interface GlobSegment {
  text: string;
  /** Null when the segment has no glob characters and names one entry literally. */
  matcher: RegExp | null;
}

/** True when the pattern contains any glob character (`*`, `?`, `[`). */
export function hasGlobCharacters(pattern: string): boolean {
  return GLOB_CHARACTERS.test(pattern);
}

/** True for names that no pattern may match (hidden files and directories, `.` and `..`). */
export function isHiddenName(name: string): boolean {
  return name.startsWith('.');
}

/** Splits a (safe, trimmed) pattern into per-segment matchers. */
export function compileCsvGlob(pattern: string): GlobSegment[] {
  return pattern.split('/').map((text) => ({
    text,
    matcher: GLOB_CHARACTERS.test(text) ? new RegExp(`^${translateSegment(text)}$`, 'u') : null,
  }));
}

/** Tests one entry name against a segment, hidden names excluded. */
export function segmentMatches(segment: GlobSegment, name: string): boolean {
  if (isHiddenName(name)) return false;
  return segment.matcher === null ? name === segment.text : segment.matcher.test(name);
}

const REGEX_SYNTAX = /[\\^$.*+?()[\]{}|/]/gu;
const CLASS_SYNTAX = /[\\^$.*+?()[\]{}|/-]/gu;

function escapeRegex(text: string): string {
  return text.replace(REGEX_SYNTAX, '\\$&');
}

/** Inside a class `-` needs escaping too (allowed in `u` mode only there). */
function escapeClassMember(text: string): string {
  return text.replace(CLASS_SYNTAX, '\\$&');
}

/** Translates one segment to a regular-expression body, with Python fnmatch rules for classes. */
function translateSegment(segment: string): string {
  const chars = Array.from(segment);
  let out = '';
  let i = 0;
  while (i < chars.length) {
    const c = chars[i] as string;
    i += 1;
    if (c === '*') {
      // Collapse runs of `*` so the regex stays linear.
      while (chars[i] === '*') i += 1;
      out += '[^/]*';
    } else if (c === '?') {
      out += '[^/]';
    } else if (c === '[') {
      const parsed = parseClass(chars, i);
      if (parsed === null) {
        // An unclosed `[` is a literal character, as in fnmatch.
        out += '\\[';
      } else {
        out += parsed.regex;
        i = parsed.next;
      }
    } else {
      out += escapeRegex(c);
    }
  }
  return out;
}

/** Parses a class starting after `[`; null when it is not closed. A `]` right after `[` or `[!` is a member. */
function parseClass(chars: string[], start: number): { regex: string; next: number } | null {
  let j = start;
  let negated = false;
  if (chars[j] === '!') {
    negated = true;
    j += 1;
  }
  const bodyStart = j;
  if (chars[j] === ']') j += 1;
  while (j < chars.length && chars[j] !== ']') j += 1;
  if (j >= chars.length) return null;
  const body = chars.slice(bodyStart, j);
  let members = '';
  let k = 0;
  let empty = true;
  while (k < body.length) {
    const lo = body[k] as string;
    const hi = body[k + 2];
    if (body[k + 1] === '-' && hi !== undefined) {
      // Reversed ranges match nothing, as in fnmatch.
      if ((lo.codePointAt(0) as number) <= (hi.codePointAt(0) as number)) {
        members += `${escapeClassMember(lo)}-${escapeClassMember(hi)}`;
        empty = false;
      }
      k += 3;
    } else {
      members += escapeClassMember(lo);
      empty = false;
      k += 1;
    }
  }
  let regex: string;
  if (empty) regex = negated ? '[^/]' : '(?!)';
  else regex = negated ? `[^/${members}]` : `(?!/)[${members}]`;
  return { regex, next: j + 1 };
}
