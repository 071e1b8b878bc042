// The pickle opcode table (protocols 0-5) and a bounds-checked decoder of one opcode and its
// argument. Shared by the SafeUnpickler (vm.ts) and the scanner (scan.ts); it never builds objects.

import { ModelFormatError, ResourceLimitError } from '../../errors.js';

export type ArgKind =
  | 'none' | 'u1' | 'u2' | 'i4' | 'u4' | 'u8' | 'f8be'
  | 'decimalnl' | 'floatnl' | 'longnl' | 'stringnl' | 'unicodenl' | 'line' | 'line2'
  | 'bytes1' | 'bytes4' | 'bytes8' | 'long1' | 'long4' | 'utf8_1' | 'utf8_4' | 'utf8_8';

/** What an opcode does, as `tessera scan` reports it. */
export type OpClass =
  | 'framing' | 'stack' | 'scalar' | 'string' | 'container' | 'memo' | 'global' | 'call'
  | 'persistent' | 'extension' | 'buffer';

export interface OpInfo {
  readonly code: number;
  readonly name: string;
  readonly arg: ArgKind;
  readonly cls: OpClass;
}

const TABLE: ReadonlyArray<[string, string, ArgKind, OpClass]> = [
  ['(', 'MARK', 'none', 'stack'], ['.', 'STOP', 'none', 'framing'], ['0', 'POP', 'none', 'stack'],
  ['1', 'POP_MARK', 'none', 'stack'], ['2', 'DUP', 'none', 'stack'],
  ['F', 'FLOAT', 'floatnl', 'scalar'], ['I', 'INT', 'decimalnl', 'scalar'], ['J', 'BININT', 'i4', 'scalar'],
  ['K', 'BININT1', 'u1', 'scalar'], ['M', 'BININT2', 'u2', 'scalar'], ['L', 'LONG', 'longnl', 'scalar'],
  ['\x8a', 'LONG1', 'long1', 'scalar'], ['\x8b', 'LONG4', 'long4', 'scalar'], ['G', 'BINFLOAT', 'f8be', 'scalar'],
  ['N', 'NONE', 'none', 'scalar'], ['\x88', 'NEWTRUE', 'none', 'scalar'], ['\x89', 'NEWFALSE', 'none', 'scalar'],
  ['S', 'STRING', 'stringnl', 'string'], ['T', 'BINSTRING', 'bytes4', 'string'],
  ['U', 'SHORT_BINSTRING', 'bytes1', 'string'], ['B', 'BINBYTES', 'bytes4', 'string'],
  ['C', 'SHORT_BINBYTES', 'bytes1', 'string'], ['\x8e', 'BINBYTES8', 'bytes8', 'string'],
  ['\x96', 'BYTEARRAY8', 'bytes8', 'string'], ['V', 'UNICODE', 'unicodenl', 'string'],
  ['\x8c', 'SHORT_BINUNICODE', 'utf8_1', 'string'], ['X', 'BINUNICODE', 'utf8_4', 'string'],
  ['\x8d', 'BINUNICODE8', 'utf8_8', 'string'],
  ['\x97', 'NEXT_BUFFER', 'none', 'buffer'], ['\x98', 'READONLY_BUFFER', 'none', 'buffer'],
  [']', 'EMPTY_LIST', 'none', 'container'], ['a', 'APPEND', 'none', 'container'],
  ['e', 'APPENDS', 'none', 'container'], ['l', 'LIST', 'none', 'container'],
  [')', 'EMPTY_TUPLE', 'none', 'container'], ['t', 'TUPLE', 'none', 'container'],
  ['\x85', 'TUPLE1', 'none', 'container'], ['\x86', 'TUPLE2', 'none', 'container'],
  ['\x87', 'TUPLE3', 'none', 'container'], ['}', 'EMPTY_DICT', 'none', 'container'],
  ['d', 'DICT', 'none', 'container'], ['s', 'SETITEM', 'none', 'container'],
  ['u', 'SETITEMS', 'none', 'container'], ['\x8f', 'EMPTY_SET', 'none', 'container'],
  ['\x90', 'ADDITEMS', 'none', 'container'], ['\x91', 'FROZENSET', 'none', 'container'],
  ['g', 'GET', 'decimalnl', 'memo'], ['h', 'BINGET', 'u1', 'memo'], ['j', 'LONG_BINGET', 'u4', 'memo'],
  ['p', 'PUT', 'decimalnl', 'memo'], ['q', 'BINPUT', 'u1', 'memo'], ['r', 'LONG_BINPUT', 'u4', 'memo'],
  ['\x94', 'MEMOIZE', 'none', 'memo'],
  ['\x82', 'EXT1', 'u1', 'extension'], ['\x83', 'EXT2', 'u2', 'extension'], ['\x84', 'EXT4', 'i4', 'extension'],
  ['c', 'GLOBAL', 'line2', 'global'], ['\x93', 'STACK_GLOBAL', 'none', 'global'],
  ['R', 'REDUCE', 'none', 'call'], ['b', 'BUILD', 'none', 'call'], ['i', 'INST', 'line2', 'call'],
  ['o', 'OBJ', 'none', 'call'], ['\x81', 'NEWOBJ', 'none', 'call'], ['\x92', 'NEWOBJ_EX', 'none', 'call'],
  ['\x80', 'PROTO', 'u1', 'framing'], ['\x95', 'FRAME', 'u8', 'framing'],
  ['P', 'PERSID', 'line', 'persistent'], ['Q', 'BINPERSID', 'none', 'persistent'],
];

/** Opcode byte -> info; undefined for bytes that are not opcodes. */
export const OPCODES: ReadonlyArray<OpInfo | undefined> = (() => {
  const t = new Array<OpInfo | undefined>(256).fill(undefined);
  for (const [ch, name, arg, cls] of TABLE) t[ch.charCodeAt(0)] = Object.freeze({ code: ch.charCodeAt(0), name, arg, cls });
  return Object.freeze(t);
})();

export const OPCODE_COUNT = TABLE.length;

export type OpArg = null | number | bigint | string | Uint8Array | readonly [string, string];

export interface DecodedOp {
  readonly op: OpInfo;
  /** Byte offset of the opcode itself. */
  readonly pos: number;
  readonly arg: OpArg;
  /** Offset just past the argument. */
  readonly end: number;
}

/** Python's own cap on decimal digits in int(str) (sys.int_info.default_max_str_digits). */
const MAX_DECIMAL_DIGITS = 4300;
/** Longest text line (protocol 0 arguments) we accept. */
const MAX_LINE = 1 << 20;
/** Largest LONG1/LONG4 payload in bytes. */
const MAX_LONG_BYTES = 1 << 16;

const utf8 = new TextDecoder('utf-8');

function fail(part: string, pos: number, op: string, what: string): never {
  throw new ModelFormatError(`${part}: ${op} at offset ${pos}: ${what}`);
}

export function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return s;
}

/** Little-endian two's complement bytes -> number when safe, else bigint. */
export function decodeLong(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  let hex = '';
  for (let i = b.length - 1; i >= 0; i--) hex += b[i]!.toString(16).padStart(2, '0');
  let v = BigInt('0x' + hex);
  if (b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
  return narrowInt(v);
}

export function narrowInt(v: bigint): number | bigint {
  return v >= -(2n ** 53n) && v <= 2n ** 53n ? Number(v) : v;
}

function parseDecimal(s: string, part: string, pos: number, op: string): number | bigint {
  const m = /^\s*([+-]?\d+)L?\s*$/.exec(s);
  if (!m) fail(part, pos, op, `not an integer: ${JSON.stringify(s.slice(0, 40))}`);
  if (m[1]!.length > MAX_DECIMAL_DIGITS) {
    throw new ResourceLimitError(
      `${part}: ${op} at offset ${pos}: integer has ${m[1]!.length} digits, more than maxIntegerDigits = ${MAX_DECIMAL_DIGITS} (Python's int_max_str_digits)`,
      'maxIntegerDigits', m[1]!.length, MAX_DECIMAL_DIGITS,
    );
  }
  return narrowInt(BigInt(m[1]!));
}

function parseFloatText(s: string, part: string, pos: number): number {
  const t = s.trim().toLowerCase();
  if (t === 'inf' || t === '+inf' || t === 'infinity') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  if (t === 'nan' || t === '-nan' || t === '+nan') return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t)) fail(part, pos, 'FLOAT', `not a float: ${JSON.stringify(s.slice(0, 40))}`);
  return Number(t);
}

const SIMPLE_ESC: Record<string, number> = { '\\': 92, "'": 39, '"': 34, a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11 };

/** A Python 2 `repr(str)` literal -> its bytes (STRING opcode). */
function parseStringLiteral(line: Uint8Array, part: string, pos: number): Uint8Array {
  const q = line[0];
  if (line.length < 2 || (q !== 0x27 && q !== 0x22) || line[line.length - 1] !== q) fail(part, pos, 'STRING', 'argument is not a quoted string');
  const out: number[] = [];
  for (let i = 1; i < line.length - 1; i++) {
    const c = line[i]!;
    if (c !== 0x5c) { out.push(c); continue; }
    const e = String.fromCharCode(line[++i] ?? 0);
    if (i >= line.length - 1) fail(part, pos, 'STRING', 'dangling backslash');
    if (Object.prototype.hasOwnProperty.call(SIMPLE_ESC, e)) out.push(SIMPLE_ESC[e]!);
    else if (e === 'x') {
      const h = String.fromCharCode(line[i + 1] ?? 0, line[i + 2] ?? 0);
      if (!/^[0-9a-fA-F]{2}$/.test(h) || i + 2 >= line.length - 1) fail(part, pos, 'STRING', 'bad \\x escape');
      out.push(parseInt(h, 16)); i += 2;
    } else if (e >= '0' && e <= '7') {
      let v = Number(e);
      for (let k = 0; k < 2 && i + 1 < line.length - 1 && line[i + 1]! >= 0x30 && line[i + 1]! <= 0x37; k++) v = v * 8 + (line[++i]! - 0x30);
      out.push(v & 0xff);
    } else { out.push(0x5c, line[i]!); }
  }
  return Uint8Array.from(out);
}

/** Python's raw-unicode-escape (UNICODE opcode): only \uXXXX and \UXXXXXXXX are escapes. */
function parseRawUnicode(line: Uint8Array, part: string, pos: number): string {
  let s = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === 0x5c && (line[i + 1] === 0x75 || line[i + 1] === 0x55)) {
      const n = line[i + 1] === 0x75 ? 4 : 8;
      const h = latin1(line.subarray(i + 2, i + 2 + n));
      if (h.length !== n || !/^[0-9a-fA-F]+$/.test(h)) fail(part, pos, 'UNICODE', 'bad \\u escape');
      const cp = parseInt(h, 16);
      if (cp > 0x10ffff) fail(part, pos, 'UNICODE', `code point ${h} out of range`);
      s += String.fromCodePoint(cp); i += 1 + n;
    } else s += String.fromCharCode(c);
  }
  return s;
}

/**
 * Decodes the opcode at `pos`. Every length is checked against the bytes that remain before it is
 * used; a truncated or malformed argument is a ModelFormatError naming the opcode and offset.
 */
export function decodeOp(bytes: Uint8Array, pos: number, part: string): DecodedOp {
  if (pos >= bytes.length) throw new ModelFormatError(`${part}: truncated at offset ${pos} (no STOP)`);
  const op = OPCODES[bytes[pos]!];
  if (!op) throw new ModelFormatError(`${part}: unknown opcode 0x${bytes[pos]!.toString(16).padStart(2, '0')} at offset ${pos}`);
  let p = pos + 1;
  const need = (n: number): void => {
    if (n > bytes.length - p) fail(part, pos, op.name, `needs ${n} byte(s), ${bytes.length - p} remain`);
  };
  const dv = (): DataView => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const readLen = (kind: 'u1' | 'u4' | 'i4' | 'u8'): number => {
    let n: number;
    if (kind === 'u1') { need(1); n = bytes[p]!; p += 1; }
    else if (kind === 'u4') { need(4); n = dv().getUint32(p, true); p += 4; }
    else if (kind === 'i4') { need(4); n = dv().getInt32(p, true); p += 4; if (n < 0) fail(part, pos, op.name, `negative length ${n}`); }
    else {
      need(8);
      const lo = dv().getUint32(p, true), hi = dv().getUint32(p + 4, true);
      p += 8;
      if (hi !== 0) fail(part, pos, op.name, `length ${(BigInt(hi) << 32n) | BigInt(lo)} exceeds the ${bytes.length - p} bytes that remain`);
      n = lo;
    }
    need(n);
    return n;
  };
  const line = (): Uint8Array => {
    const stop = Math.min(bytes.length, p + MAX_LINE);
    const nl = bytes.subarray(p, stop).indexOf(10);
    if (nl < 0) {
      if (stop < bytes.length) throw new ResourceLimitError(`${part}: ${op.name} at offset ${pos}: text argument longer than ${MAX_LINE} bytes`);
      fail(part, pos, op.name, 'text argument has no terminating newline');
    }
    const l = bytes.subarray(p, p + nl);
    p += nl + 1;
    return l;
  };
  let arg: OpArg = null;
  switch (op.arg) {
    case 'none': break;
    case 'u1': need(1); arg = bytes[p]!; p += 1; break;
    case 'u2': need(2); arg = dv().getUint16(p, true); p += 2; break;
    case 'i4': need(4); arg = dv().getInt32(p, true); p += 4; break;
    case 'u4': need(4); arg = dv().getUint32(p, true); p += 4; break;
    case 'u8': {
      need(8);
      const lo = dv().getUint32(p, true), hi = dv().getUint32(p + 4, true);
      arg = hi === 0 ? lo : (BigInt(hi) << 32n) | BigInt(lo); p += 8; break;
    }
    case 'f8be': need(8); arg = dv().getFloat64(p, false); p += 8; break;
    case 'decimalnl': {
      const s = latin1(line());
      // INT spells True/False as '01'/'00'; the argument keeps that spelling for the VM to see.
      arg = op.name === 'INT' && (s === '00' || s === '01') ? s : parseDecimal(s, part, pos, op.name);
      break;
    }
    case 'longnl': arg = parseDecimal(latin1(line()), part, pos, op.name); break;
    case 'floatnl': arg = parseFloatText(latin1(line()), part, pos); break;
    case 'stringnl': arg = parseStringLiteral(line(), part, pos); break;
    case 'unicodenl': arg = parseRawUnicode(line(), part, pos); break;
    case 'line': arg = latin1(line()); break;
    case 'line2': { const m = utf8.decode(line()); const n = utf8.decode(line()); arg = [m, n] as const; break; }
    case 'bytes1': { const n = readLen('u1'); arg = bytes.subarray(p, p + n); p += n; break; }
    case 'bytes4': { const n = readLen(op.name === 'BINSTRING' ? 'i4' : 'u4'); arg = bytes.subarray(p, p + n); p += n; break; }
    case 'bytes8': { const n = readLen('u8'); arg = bytes.subarray(p, p + n); p += n; break; }
    case 'long1': case 'long4': {
      const n = readLen(op.arg === 'long1' ? 'u1' : 'i4');
      if (n > MAX_LONG_BYTES) throw new ResourceLimitError(`${part}: ${op.name} at offset ${pos}: ${n}-byte integer exceeds ${MAX_LONG_BYTES}`);
      arg = decodeLong(bytes.subarray(p, p + n)); p += n; break;
    }
    case 'utf8_1': case 'utf8_4': case 'utf8_8': {
      const n = readLen(op.arg === 'utf8_1' ? 'u1' : op.arg === 'utf8_4' ? 'u4' : 'u8');
      arg = utf8.decode(bytes.subarray(p, p + n)); p += n; break;
    }
  }
  return { op, pos, arg, end: p };
}
