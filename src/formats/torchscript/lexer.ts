// Tokens of serialized TorchScript (the Python subset torch.jit.save writes under code/), with
// INDENT/DEDENT from leading spaces and line/column positions for parse errors.

import { ModelFormatError } from '../../errors.js';

export type TokenKind = 'name' | 'int' | 'float' | 'str' | 'op' | 'newline' | 'indent' | 'dedent' | 'eof';

export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  /** For 'str', the decoded value; for 'int', the digits; otherwise the text. */
  readonly value: string;
  readonly line: number;
  readonly col: number;
}

const OPS = [
  '**=', '//=', '>>=', '<<=', '->', '**', '//', '==', '!=', '<=', '>=', '<<', '>>', '+=', '-=', '*=', '/=', '%=',
  '&=', '|=', '^=', '@=', '(', ')', '[', ']', '{', '}', ',', ':', '.', ';', '+', '-', '*', '/', '%', '<', '>', '=',
  '&', '|', '^', '~', '@',
];
const isNameStart = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isNameChar = (c: number): boolean => isNameStart(c) || isDigit(c);

export function syntaxError(file: string, line: number, col: number, what: string): ModelFormatError {
  return new ModelFormatError(`${file}:${line}:${col}: ${what}`);
}

const ESCAPES = new Map([
  ['n', '\n'], ['t', '\t'], ['r', '\r'], ['\\', '\\'], ["'", "'"], ['"', '"'], ['0', '\0'], ['a', '\x07'], ['b', '\b'], ['f', '\f'], ['v', '\v'],
]);

const KINDS: readonly TokenKind[] = ['name', 'int', 'float', 'str', 'op', 'newline', 'indent', 'dedent', 'eof'];
const KIND_CODE = new Map(KINDS.map((k, i) => [k, i]));

/**
 * The tokens of one source file, stored column-wise (kind, offsets, line, column in typed arrays)
 * rather than as one object per token: a large code file is hundreds of thousands of tokens, and
 * keeping each as a live object made the garbage collector the lexer's main cost. `at(i)` builds a
 * Token on demand; `kind(i)` and `text(i)` answer without building one.
 */
export class TokenStream {
  private kinds: Uint8Array;
  private starts: Int32Array;
  private ends: Int32Array;
  private lines: Int32Array;
  private cols: Int32Array;
  /** Decoded values of 'str' tokens and digit strings of 'int'/'float' tokens, by token index. */
  private readonly values = new Map<number, string>();
  /** Per token: 0 when its text is its source span, else an index into FIXED (operators, layout). */
  private fixed: Uint8Array;
  length = 0;
  private cached = -1;
  private cachedToken: Token | undefined;

  constructor(private readonly src: string, capacity = 1024) {
    this.kinds = new Uint8Array(capacity);
    this.starts = new Int32Array(capacity);
    this.ends = new Int32Array(capacity);
    this.lines = new Int32Array(capacity);
    this.cols = new Int32Array(capacity);
    this.fixed = new Uint8Array(capacity);
  }

  push(kind: TokenKind, start: number, end: number, line: number, col: number, value?: string, fixed = 0): void {
    const n = this.length;
    if (n === this.kinds.length) this.grow();
    this.kinds[n] = KIND_CODE.get(kind)!;
    this.starts[n] = start;
    this.ends[n] = end;
    this.lines[n] = line;
    this.cols[n] = col;
    if (value !== undefined) this.values.set(n, value);
    this.fixed[n] = fixed;
    this.length = n + 1;
  }

  private grow(): void {
    const cap = this.kinds.length * 2;
    const widen = <T extends Uint8Array | Int32Array>(a: T, make: (n: number) => T): T => { const b = make(cap); b.set(a); return b; };
    this.kinds = widen(this.kinds, (n) => new Uint8Array(n));
    this.starts = widen(this.starts, (n) => new Int32Array(n));
    this.ends = widen(this.ends, (n) => new Int32Array(n));
    this.lines = widen(this.lines, (n) => new Int32Array(n));
    this.cols = widen(this.cols, (n) => new Int32Array(n));
    this.fixed = widen(this.fixed, (n) => new Uint8Array(n));
  }

  kind(i: number): TokenKind { return KINDS[this.kinds[i]!]!; }
  text(i: number): string {
    const f = this.fixed[i]!;
    return f === 0 ? this.src.slice(this.starts[i], this.ends[i]) : FIXED[f]!;
  }
  line(i: number): number { return this.lines[i]!; }
  col(i: number): number { return this.cols[i]!; }

  at(i: number): Token {
    if (i === this.cached) return this.cachedToken!;
    const kind = this.kind(i);
    const text = this.text(i);
    const t: Token = { kind, text, value: this.values.get(i) ?? text, line: this.lines[i]!, col: this.cols[i]! };
    this.cached = i;
    this.cachedToken = t;
    return t;
  }
}

/** Texts that need no slicing: index 0 is unused (the text is the source span). */
const FIXED = ['', '', '\n', ...OPS];
const EMPTY = 1;
const NEWLINE = 2;
const OP_CODE = new Map(OPS.map((o, i) => [o, i + 3]));

/** Splits `src` into tokens; `file` names the archive member in errors. */
export function tokenize(src: string, file: string): TokenStream {
  const out = new TokenStream(src, Math.max(64, src.length >> 2));
  const indents = [0];
  let depth = 0; // bracket nesting: newlines inside brackets are ignored
  let i = 0;
  let line = 1;
  let lineStart = 0;
  let atLineStart = true;
  const n = src.length;
  while (i < n) {
    if (atLineStart && depth === 0) {
      let j = i;
      let width = 0;
      for (let c = src.charCodeAt(j); j < n && (c === 32 || c === 9); c = src.charCodeAt(++j)) width += c === 9 ? 8 - (width % 8) : 1;
      if (j >= n) { i = j; break; }
      const c = src.charCodeAt(j);
      if (c === 10 || c === 13 || c === 35) { // blank or comment-only line
        while (j < n && src.charCodeAt(j) !== 10) j++;
        i = j + 1; line++; lineStart = i;
        continue;
      }
      const top = indents[indents.length - 1]!;
      if (width > top) { indents.push(width); out.push('indent', j, j, line, j - lineStart + 1, undefined, EMPTY); }
      while (width < indents[indents.length - 1]!) {
        indents.pop();
        out.push('dedent', j, j, line, j - lineStart + 1, undefined, EMPTY);
      }
      if (width !== indents[indents.length - 1]) throw syntaxError(file, line, j - lineStart + 1, 'inconsistent indentation');
      i = j;
      atLineStart = false;
    }
    const code = src.charCodeAt(i);
    if (code === 10) {
      if (depth === 0) out.push('newline', i, i + 1, line, i - lineStart + 1);
      i++; line++; lineStart = i; atLineStart = depth === 0;
      continue;
    }
    if (code === 32 || code === 9 || code === 13) { i++; continue; }
    if (code === 92 && src.charCodeAt(i + 1) === 10) { i += 2; line++; lineStart = i; continue; } // backslash-newline
    if (code === 35) { while (i < n && src.charCodeAt(i) !== 10) i++; continue; } // comment
    const start = i;
    if (isNameStart(code)) {
      while (i < n && isNameChar(src.charCodeAt(i))) i++;
      const q = src.charCodeAt(i);
      if ((q === 34 || q === 39) && i - start === 1 && 'rbuRBU'.includes(src[start]!)) {
        i = readString(src, start, i, file, line, lineStart, src[start] === 'r' || src[start] === 'R', out);
        continue;
      }
      out.push('name', start, i, line, start - lineStart + 1);
      continue;
    }
    if (isDigit(code) || (code === 46 && isDigit(src.charCodeAt(i + 1)))) {
      const m = /^(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:[0-9][0-9_]*)?\.?[0-9_]*(?:[eE][+-]?[0-9]+)?)/.exec(src.slice(i, i + 400))!;
      const text = m[0];
      i += text.length;
      const isFloat = !/^0[xXoObB]/.test(text) && /[.eE]/.test(text);
      if (src[i] === 'j') throw syntaxError(file, line, start - lineStart + 1, 'complex literals are not supported');
      out.push(isFloat ? 'float' : 'int', start, i, line, start - lineStart + 1, text.includes('_') ? text.replace(/_/g, '') : undefined);
      continue;
    }
    if (code === 34 || code === 39) {
      i = readString(src, start, i, file, line, lineStart, false, out);
      continue;
    }
    let op: string | undefined;
    let opCode: number | undefined;
    for (let len = 3; len >= 1 && opCode === undefined; len--) {
      op = src.slice(i, i + len);
      opCode = op.length === len ? OP_CODE.get(op) : undefined;
    }
    if (opCode === undefined || op === undefined) throw syntaxError(file, line, i - lineStart + 1, `unexpected character ${JSON.stringify(src[i])}`);
    if (op === '(' || op === '[' || op === '{') depth++;
    if (op === ')' || op === ']' || op === '}') depth = Math.max(0, depth - 1);
    out.push('op', i, i + op.length, line, i - lineStart + 1, undefined, opCode);
    i += op.length;
  }
  if (out.length && out.kind(out.length - 1) !== 'newline') out.push('newline', i, i, line, i - lineStart + 1, undefined, NEWLINE);
  while (indents.length > 1) { indents.pop(); out.push('dedent', i, i, line, 1, undefined, EMPTY); }
  out.push('eof', i, i, line, i - lineStart + 1, undefined, EMPTY);
  return out;
}

function readString(
  src: string, start: number, quoteAt: number, file: string, line: number, lineStart: number, raw: boolean,
  out: TokenStream,
): number {
  const q = src[quoteAt]!;
  const triple = src.startsWith(q + q + q, quoteAt);
  const close = triple ? q + q + q : q;
  let i = quoteAt + close.length;
  let value = '';
  for (;;) {
    if (i >= src.length || (!triple && src[i] === '\n')) {
      throw syntaxError(file, line, start - lineStart + 1, 'unterminated string literal');
    }
    if (src.startsWith(close, i)) { i += close.length; break; }
    const ch = src[i]!;
    if (ch === '\\' && !raw) {
      const e = src[i + 1] ?? '';
      const esc = ESCAPES.get(e);
      if (esc !== undefined) { value += esc; i += 2; continue; }
      if (e === 'x' || e === 'u' || e === 'U') {
        const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
        const hex = src.slice(i + 2, i + 2 + n);
        if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== n) throw syntaxError(file, line, i - lineStart + 1, `bad \\${e} escape`);
        value += String.fromCodePoint(parseInt(hex, 16));
        i += 2 + n;
        continue;
      }
      if (/[0-7]/.test(e)) {
        const m = /^[0-7]{1,3}/.exec(src.slice(i + 1))![0];
        value += String.fromCharCode(parseInt(m, 8));
        i += 1 + m.length;
        continue;
      }
      if (e === '\n') { i += 2; continue; }
      value += '\\' + e;
      i += 2;
      continue;
    }
    value += ch;
    i++;
  }
  out.push('str', start, i, line, start - lineStart + 1, value);
  return i;
}
