// scanPickle: lists every global a file references and every opcode it uses, and gives a verdict,
// without constructing anything. It runs the opcode decoder over an abstract stack that only
// remembers literal strings and numbers (so STACK_GLOBAL operands built from memoised strings are
// still named), and works on files that loading refuses: whatever it saw before an error is kept.

import { isAllowedGlobal, isTorchScriptClass } from './allow-list.js';
import { decodeOp, latin1, OPCODES, type OpClass } from './opcodes.js';
import { Budget } from './values.js';
import { isZip, ZipArchive } from './zip.js';
import { LEGACY_MAGIC } from './torch-load.js';

export interface GlobalRef {
  readonly module: string;
  readonly name: string;
  readonly opcode: string;
  readonly offset: number;
  readonly allowed: boolean;
}

export interface PickleScan {
  /** Which part of the file (e.g. 'archive/data.pkl', 'pickle 1'). */
  readonly part: string;
  readonly start: number;
  readonly end: number;
  readonly protocol: number;
  readonly globals: GlobalRef[];
  /** Opcode name -> count. */
  readonly opcodes: Map<string, number>;
  readonly error?: string;
  /** The value STOP yields when it is a literal (used to recognise the legacy magic number). */
  readonly literal?: unknown;
}

export interface ScanReport {
  readonly format: 'zip' | 'legacy' | 'pickle' | 'not-pickle';
  readonly pickles: PickleScan[];
  /** Why the file is unsafe; empty when safe. */
  readonly reasons: string[];
  readonly notes: string[];
  readonly verdict: 'safe' | 'unsafe' | 'not-pickle';
}

/** Pickle bytes a scan inflates from one zip, at most (pickles are small; storages are not read). */
const SCAN_MAX_BYTES = 512 * 1024 * 1024;

type Abs = { v?: unknown };
const UNKNOWN: Abs = Object.freeze({});
const EFFECTS: Record<string, [number | 'mark', number]> = {
  APPEND: [1, 0], APPENDS: ['mark', 0], LIST: ['mark', 1], TUPLE: ['mark', 1], TUPLE1: [1, 1], TUPLE2: [2, 1],
  TUPLE3: [3, 1], DICT: ['mark', 1], SETITEM: [2, 0], SETITEMS: ['mark', 0], ADDITEMS: ['mark', 0],
  FROZENSET: ['mark', 1], REDUCE: [2, 1], BUILD: [1, 0], INST: ['mark', 1], OBJ: ['mark', 1], NEWOBJ: [2, 1],
  NEWOBJ_EX: [3, 1], BINPERSID: [1, 1], READONLY_BUFFER: [1, 1], PROTO: [0, 0], FRAME: [0, 0],
};

/** Scans one pickle starting at `start`. Never throws for malformed input: the error is reported. */
export function scanOnePickle(bytes: Uint8Array, start: number, part: string, torchScript = false): PickleScan {
  const stack: Abs[] = [];
  const marks: number[] = [];
  const memo = new Map<number, Abs>();
  const globals: GlobalRef[] = [];
  const opcodes = new Map<string, number>();
  let protocol = 0;
  let pos = start;
  const allowed = (m: string, n: string): boolean => isAllowedGlobal(m, n, { torchScriptRecords: torchScript });
  const floor = (): number => (marks.length ? marks[marks.length - 1]! : 0);
  const under = (n: number, at: number, op: string): void => {
    if (stack.length - floor() < n) throw new Error(`${op} at offset ${at}: stack underflow`);
  };
  try {
    for (;;) {
      const d = decodeOp(bytes, pos, part);
      const name = d.op.name;
      opcodes.set(name, (opcodes.get(name) ?? 0) + 1);
      pos = d.end;
      const arg = d.arg;
      switch (d.op.cls === 'string' && name !== 'NEXT_BUFFER' && name !== 'READONLY_BUFFER' ? 'STRING*' : name) {
        case 'STRING*':
          stack.push({ v: arg instanceof Uint8Array ? (name.includes('BYTES') || name === 'BYTEARRAY8' ? undefined : latin1(arg)) : arg });
          break;
        case 'STOP': under(1, d.pos, name); return { part, start, end: pos, protocol, globals, opcodes, literal: stack.pop()!.v };
        case 'MARK': marks.push(stack.length); break;
        case 'POP': if (stack.length > floor()) stack.pop(); else if (marks.length) marks.pop(); else under(1, d.pos, name); break;
        case 'POP_MARK':
          if (!marks.length) throw new Error(`POP_MARK at offset ${d.pos}: no MARK`);
          stack.length = marks.pop()!; break;
        case 'DUP': under(1, d.pos, name); stack.push(stack[stack.length - 1]!); break;
        case 'GET': case 'BINGET': case 'LONG_BINGET':
          if (!memo.has(arg as number)) throw new Error(`${name} at offset ${d.pos}: memo key ${String(arg)} was never stored`);
          stack.push(memo.get(arg as number)!); break;
        case 'PUT': case 'BINPUT': case 'LONG_BINPUT': case 'MEMOIZE':
          under(1, d.pos, name);
          memo.set(name === 'MEMOIZE' ? memo.size : (arg as number), stack[stack.length - 1]!);
          if (memo.size > 10_000_000) throw new Error(`${name} at offset ${d.pos}: memo too large`);
          break;
        case 'GLOBAL': case 'INST': {
          const [m, n] = arg as readonly [string, string];
          globals.push({ module: m, name: n, opcode: name, offset: d.pos, allowed: allowed(m, n) });
          if (name === 'INST') {
            if (!marks.length) throw new Error(`INST at offset ${d.pos}: no MARK`);
            stack.length = marks.pop()!;
          }
          stack.push(UNKNOWN);
          break;
        }
        case 'STACK_GLOBAL': {
          under(2, d.pos, name);
          const n = stack.pop()!.v, m = stack.pop()!.v;
          if (typeof m === 'string' && typeof n === 'string') {
            globals.push({ module: m, name: n, opcode: name, offset: d.pos, allowed: allowed(m, n) });
          } else {
            globals.push({ module: '?', name: '?', opcode: name, offset: d.pos, allowed: false });
          }
          stack.push(UNKNOWN);
          break;
        }
        case 'PROTO': protocol = arg as number; break;
        default: {
          const eff = EFFECTS[name];
          if (!eff) { // pushes one value: scalars, empty containers, buffers, PERSID, EXT*
            stack.push(d.op.cls === 'scalar' ? { v: arg === '01' ? true : arg === '00' ? false : arg } : UNKNOWN);
            break;
          }
          if (eff[0] === 'mark') {
            if (!marks.length) throw new Error(`${name} at offset ${d.pos}: no MARK`);
            stack.length = marks.pop()!;
          } else {
            under(eff[0], d.pos, name);
            stack.length -= eff[0];
          }
          if (name === 'APPEND' || name === 'APPENDS' || name === 'SETITEM' || name === 'SETITEMS' || name === 'ADDITEMS' || name === 'BUILD') {
            under(1, d.pos, name);
          }
          for (let i = 0; i < eff[1]; i++) stack.push(UNKNOWN);
        }
      }
    }
  } catch (e) {
    return { part, start, end: pos, protocol, globals, opcodes, error: (e as Error)?.message ?? String(e) };
  }
}

function globalReasons(s: PickleScan, reasons: string[]): void {
  for (const g of s.globals) {
    if (g.allowed) continue;
    if (g.module === '?') reasons.push(`${s.part}: STACK_GLOBAL at offset ${g.offset} names a global that is not a literal string`);
    else reasons.push(`${s.part}: ${g.module}.${g.name} (${g.opcode} at offset ${g.offset}) is not on the allow-list`);
  }
  for (const ext of ['EXT1', 'EXT2', 'EXT4']) {
    if (s.opcodes.has(ext)) reasons.push(`${s.part}: ${ext} refers to the copyreg extension registry`);
  }
  if (s.error) reasons.push(`${s.part}: malformed (${s.error}); a Python loader may have run opcodes before failing`);
}

function verdict(format: ScanReport['format'], pickles: PickleScan[], reasons: string[], notes: string[]): ScanReport {
  return { format, pickles, reasons, notes, verdict: reasons.length ? 'unsafe' : 'safe' };
}

/** Scans a torch.save zip, a legacy torch file or a plain pickle. */
export function scanPickle(bytes: Uint8Array): ScanReport {
  const reasons: string[] = [];
  const notes: string[] = [];
  if (isZip(bytes)) {
    let zip: ZipArchive;
    try {
      zip = new ZipArchive(bytes, 'zip');
    } catch (e) {
      return verdict('zip', [], [`zip: ${(e as Error).message}`], notes);
    }
    const names = zip.names();
    const torchScript = names.some((n) => /^[^/]+\/constants\.pkl$/.test(n));
    const pkls = names.filter((n) => n.endsWith('.pkl'));
    if (!pkls.length) return { format: 'not-pickle', pickles: [], reasons: ['zip holds no .pkl member'], notes, verdict: 'not-pickle' };
    const pickles: PickleScan[] = [];
    const budget = new Budget({ maxBytes: SCAN_MAX_BYTES });
    for (const name of pkls) {
      let data: Uint8Array;
      try {
        data = zip.read(name, budget);
      } catch (e) {
        reasons.push(`${name}: ${(e as Error).message}`);
        continue;
      }
      const s = scanOnePickle(data, 0, name, torchScript);
      pickles.push(s);
      globalReasons(s, reasons);
      if (!s.error && s.end !== data.length) reasons.push(`${name}: ${data.length - s.end} byte(s) after STOP at offset ${s.end - 1}`);
    }
    if (torchScript) {
      notes.push('TorchScript archive: tessera loads __torch__ classes as data-only records and never runs code/; ' +
        "PyTorch's torch.jit.load compiles and runs code/ (e.g. __setstate__ methods), which this scan does not vet");
    }
    notes.push(`${names.length - pkls.length} non-pickle member(s) (raw storages and metadata) are never executed`);
    return verdict('zip', pickles, reasons, notes);
  }
  const first = scanOnePickle(bytes, 0, 'pickle 1');
  const callOps = ['GLOBAL', 'STACK_GLOBAL', 'INST', 'REDUCE', 'OBJ', 'NEWOBJ', 'NEWOBJ_EX', 'BUILD', 'EXT1', 'EXT2', 'EXT4'];
  const decoded = [...first.opcodes.values()].reduce((a, b) => a + b, 0);
  if (first.error && bytes[0] !== 0x80 && decoded <= 2 && !callOps.some((o) => first.opcodes.has(o))) {
    return { format: 'not-pickle', pickles: [first], reasons: [first.error], notes, verdict: 'not-pickle' };
  }
  const pickles = [first];
  globalReasons(first, reasons);
  if (!first.error && first.literal === LEGACY_MAGIC) {
    let at = first.end;
    for (const part of ['legacy protocol version', 'legacy sys_info', 'legacy pickle', 'legacy storage keys']) {
      const s = scanOnePickle(bytes, at, part);
      pickles.push(s);
      globalReasons(s, reasons);
      if (s.error) break;
      at = s.end;
    }
    notes.push(`legacy format: ${bytes.length - at} byte(s) of raw storage data follow the pickles (never executed)`);
    return verdict('legacy', pickles, reasons, notes);
  }
  let at = first.end;
  if (!first.error && at < bytes.length) {
    reasons.push(`pickle 1: ${bytes.length - at} byte(s) after STOP at offset ${at - 1}`);
    for (let k = 2; at < bytes.length && k <= 16; k++) {
      if (!OPCODES[bytes[at]!]) break;
      const s = scanOnePickle(bytes, at, `pickle ${k} (after STOP)`);
      pickles.push(s);
      for (const g of s.globals) {
        if (!g.allowed) reasons.push(`${s.part}: ${g.module}.${g.name} (${g.opcode} at offset ${g.offset}) is not on the allow-list`);
      }
      if (s.error) break;
      at = s.end;
    }
  }
  return verdict('pickle', pickles, reasons, notes);
}

/** Opcode classes with the opcodes of each that a scan saw, for display. */
const CLASS_ORDER: readonly OpClass[] = [
  'global', 'call', 'persistent', 'extension', 'buffer', 'container', 'memo', 'string', 'scalar', 'stack', 'framing',
];

export function opcodeClasses(counts: Map<string, number>): Map<OpClass, Array<[string, number]>> {
  const out = new Map<OpClass, Array<[string, number]>>(CLASS_ORDER.map((c) => [c, []]));
  for (const op of OPCODES) {
    if (!op || !counts.has(op.name)) continue;
    out.get(op.cls)!.push([op.name, counts.get(op.name)!]);
  }
  for (const [c, l] of out) if (!l.length) out.delete(c);
  return out;
}

export { isTorchScriptClass };
