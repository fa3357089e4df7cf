import { DomainError } from '@forest-ledger/common';
/**
 * How deep a JSON body may nest (objects and arrays, the top one counting 1). The deepest route
 * needs 4 (a batch: entries › entry › postings › posting); the rest is for free-form `metadata`.
 */
export const MAX_BODY_DEPTH = 32;

/** Keys that name or reach an object's prototype: refused anywhere in a body, so what is stored is what was sent. */
export const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * The nesting depth of JSON text, measured by one pass over the characters before anything
 * parses it (so nothing recursive ever sees a deeper body); stops counting past `limit`.
 * Brackets inside strings do not count. Malformed text gets some number; the parser then refuses it.
 */
export function jsonDepth(text: string, limit = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      depth--;
    }
  }
  return max;
}

export function bodyTooDeep(): DomainError {
  return new DomainError('invalid', 'BODY_TOO_DEEP', `request body nests objects and arrays deeper than ${MAX_BODY_DEPTH} levels`, 'body', { maxDepth: MAX_BODY_DEPTH });
}

type Segment = string | number;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** String.prototype.isWellFormed (ES2024; the project compiles against ES2022). */
export function isWellFormed(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

function pathText(segments: readonly Segment[]): string {
  return segments.reduce<string>((path, s) => (typeof s === 'number' ? `${path}[${s}]` : path ? `${path}.${s}` : s), '');
}

interface Node {
  value: unknown;
  segment: Segment | null;
  parent: Node | null;
}

function pathOf(node: Node): Segment[] {
  const path: Segment[] = [];
  for (let n: Node | null = node; n && n.segment !== null; n = n.parent) path.push(n.segment);
  return path.reverse();
}

/**
 * Visits every value of parsed JSON in document order without recursion (an explicit stack),
 * with the key that led there (null for array items and the root) and its path on demand; the
 * first non-undefined answer of `visit` stops the walk and is returned.
 */
export function findInJson<E>(root: unknown, visit: (value: unknown, key: string | null, path: () => Segment[]) => E | undefined): E | undefined {
  const stack: Node[] = [{ value: root, segment: null, parent: null }];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const { value } = node;
    const found = visit(value, typeof node.segment === 'string' ? node.segment : null, () => pathOf(node));
    if (found !== undefined) return found;
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i] as unknown, segment: i, parent: node });
    } else if (typeof value === 'object' && value !== null) {
      const keys = Object.keys(value);
      for (let i = keys.length - 1; i >= 0; i--) stack.push({ value: (value as Record<string, unknown>)[keys[i]], segment: keys[i], parent: node });
    }
  }
  return undefined;
}

/**
 * Refuses what JSON.parse accepts but the API must not store or trust: a prototype key (the
 * class-transformer copy would drop `__proto__` and empty a `constructor`), a number too large
 * for a double (it parses as Infinity), and a string with a lone UTF-16 surrogate (not Unicode;
 * PostgreSQL refuses it in jsonb and would alter it in text). Each error names the field.
 */
export function checkParsedBody(body: unknown): void {
  const error = findInJson(body, (value, key, pathOf) => {
    if (key !== null) {
      if (PROTOTYPE_KEYS.has(key)) {
        const field = pathText(pathOf());
        return new DomainError(
          'invalid',
          'FORBIDDEN_KEY',
          `${field}: the key "${key}" is not allowed (__proto__, constructor and prototype are refused anywhere in a body)`,
          field,
          { key },
        );
      }
      if (!isWellFormed(key)) return invalid(pathOf(), 'must be a key in well-formed Unicode (no lone surrogate)');
    }
    if (typeof value === 'number' && !Number.isFinite(value)) return invalid(pathOf(), 'must be a number within ±1.7976931348623157e308');
    if (typeof value === 'string' && !isWellFormed(value)) return invalid(pathOf(), 'must be well-formed Unicode (no lone surrogate)');
    return undefined;
  });
  if (error) throw error;
}

function invalid(path: readonly Segment[], rule: string): DomainError {
  const field = pathText(path) || 'body';
  return new DomainError('invalid', 'VALIDATION_FAILED', `${field} ${rule}`, field);
}

/** Path of the first string holding a NUL character (PostgreSQL text cannot store one), or null. */
export function findNul(value: unknown, prefix: string): string | null {
  return (
    findInJson(value, (v, key, pathOf) => {
      if (!(key?.includes('\u0000') || (typeof v === 'string' && v.includes('\u0000')))) return undefined;
      const path = pathOf();
      const rel = pathText(path);
      return prefix && rel ? (typeof path[0] === 'number' ? `${prefix}${rel}` : `${prefix}.${rel}`) : prefix || rel;
    }) ?? null
  );
}
