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

export function syntaxError(file: string, line: number, col: number, what: string): ModelFormatError {
  return new ModelFormatError(`${file}:${line}:${col}: ${what}`);
}

const ESCAPES = new Map([
  ['n', '\n'], ['t', '\t'], ['r', '\r'], ['\\', '\\'], ["'", "'"], ['"', '"'], ['0', '\0'], ['a', '\x07'], ['b', '\b'], ['f', '\f'], ['v', '\v'],
]);

/** Splits `src` into tokens; `file` names the archive member in errors. */
export function tokenize(src: string, file: string): Token[] {
  const out: Token[] = [];
  const indents = [0];
  let depth = 0; // bracket nesting: newlines inside brackets are ignored
  let i = 0;
  let line = 1;
  let lineStart = 0;
  let atLineStart = true;
  const push = (kind: TokenKind, text: string, value: string, at: number): void => {
    out.push({ kind, text, value, line, col: at - lineStart + 1 });
  };
  while (i < src.length) {
    if (atLineStart && depth === 0) {
      let j = i;
      let width = 0;
      while (j < src.length && (src[j] === ' ' || src[j] === '\t')) { width += src[j] === '\t' ? 8 - (width % 8) : 1; j++; }
      if (j >= src.length) { i = j; break; }
      const c = src[j];
      if (c === '\n' || c === '\r' || c === '#') { // blank or comment-only line
        while (j < src.length && src[j] !== '\n') j++;
        i = j + 1; line++; lineStart = i;
        continue;
      }
      const top = indents[indents.length - 1]!;
      if (width > top) { indents.push(width); push('indent', '', '', j); }
      while (width < indents[indents.length - 1]!) {
        indents.pop();
        push('dedent', '', '', j);
      }
      if (width !== indents[indents.length - 1]) throw syntaxError(file, line, j - lineStart + 1, 'inconsistent indentation');
      i = j;
      atLineStart = false;
    }
    const c = src[i]!;
    if (c === '\n') {
      if (depth === 0) push('newline', '\n', '\n', i);
      i++; line++; lineStart = i; atLineStart = depth === 0;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') { i++; continue; }
    if (c === '\\' && src[i + 1] === '\n') { i += 2; line++; lineStart = i; continue; }
    if (c === '#') { while (i < src.length && src[i] !== '\n') i++; continue; }
    const start = i;
    if (/[A-Za-z_]/.test(c)) {
      while (i < src.length && /[A-Za-z0-9_]/.test(src[i]!)) i++;
      const text = src.slice(start, i);
      if ((src[i] === '"' || src[i] === "'") && /^[rbuRBU]$/.test(text)) {
        i = readString(src, start, i, file, line, lineStart, text.toLowerCase() === 'r', push);
        continue;
      }
      push('name', text, text, start);
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const m = /^(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:[0-9][0-9_]*)?\.?[0-9_]*(?:[eE][+-]?[0-9]+)?)/.exec(src.slice(i, i + 400))!;
      const text = m[0];
      i += text.length;
      const isFloat = !/^0[xXoObB]/.test(text) && /[.eE]/.test(text);
      if (src[i] === 'j') throw syntaxError(file, line, start - lineStart + 1, 'complex literals are not supported');
      push(isFloat ? 'float' : 'int', text, text.replace(/_/g, ''), start);
      continue;
    }
    if (c === '"' || c === "'") {
      i = readString(src, start, i, file, line, lineStart, false, push);
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw syntaxError(file, line, i - lineStart + 1, `unexpected character ${JSON.stringify(c)}`);
    if (op === '(' || op === '[' || op === '{') depth++;
    if (op === ')' || op === ']' || op === '}') depth = Math.max(0, depth - 1);
    push('op', op, op, i);
    i += op.length;
  }
  if (out.length && out[out.length - 1]!.kind !== 'newline') out.push({ kind: 'newline', text: '\n', value: '\n', line, col: i - lineStart + 1 });
  while (indents.length > 1) { indents.pop(); out.push({ kind: 'dedent', text: '', value: '', line, col: 1 }); }
  out.push({ kind: 'eof', text: '', value: '', line, col: i - lineStart + 1 });
  return out;
}

function readString(
  src: string, start: number, quoteAt: number, file: string, line: number, lineStart: number, raw: boolean,
  push: (kind: TokenKind, text: string, value: string, at: number) => void,
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
  push('str', src.slice(start, i), value, start);
  return i;
}
