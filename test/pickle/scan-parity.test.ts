// Issue 9 finding 9: `tessera scan` runs the SafeUnpickler's own VM (the same decoder, stack, memo
// and limit checks), so a file is never SAFE to the scanner and malformed to torchLoad.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { scanCommand } from '../../src/cli/scan.js';
import { ModelFormatError, ResourceLimitError, TesseraError, UnsafePickleError } from '../../src/errors.js';
import { LOAD_HOST, OPCODES, scanFile, scanPickle, type ScanReport, torchLoad, type UnpickleHost } from '../../src/formats/pickle/index.js';
import { Budget } from '../../src/formats/pickle/values.js';
import { ZipArchive } from '../../src/formats/pickle/zip.js';
import { HOSTILE, torchZip } from './hostile/corpus.js';
import { P, writeZip } from './hostile/pickle-writer.js';

const tmp = mkdtempSync(join(tmpdir(), 'tessera-scan-parity-'));
const latin1 = (s: string): Uint8Array => Uint8Array.from([...s].map((c) => c.charCodeAt(0)));

async function cli(bytes: Uint8Array, name: string): Promise<{ code: number; lines: string[] }> {
  const p = join(tmp, name);
  writeFileSync(p, bytes);
  const lines: string[] = [];
  const code = await scanCommand(p, { out: (l) => lines.push(l) });
  return { code, lines };
}

function refusal(bytes: Uint8Array): unknown {
  try {
    torchLoad(bytes);
  } catch (e) {
    return e;
  }
  return undefined;
}

/** torchLoad refuses with a ModelFormatError matching `where`; scan says malformed naming the same place; the CLI cannot verify it (exit 3). */
async function bothRefuse(bytes: Uint8Array, where: RegExp, name: string): Promise<void> {
  const e = refusal(bytes);
  expect(e).toBeInstanceOf(ModelFormatError);
  expect((e as ModelFormatError).code).toBe('MODEL_FORMAT');
  expect((e as Error).message).toMatch(where);
  const r = scanPickle(bytes);
  expect(r.verdict).toBe('malformed');
  expect(r.malformed).toMatch(where);
  const { code, lines } = await cli(bytes, name);
  expect(code).toBe(3);
  const line = lines.find((l) => l.startsWith('cannot verify: '));
  expect(line, lines.join('\n')).toMatch(where);
  expect(lines.find((l) => l.startsWith('verdict: '))).toMatch(/^verdict: CANNOT VERIFY/);
}

describe('scan and torchLoad agree on the five files of finding 9', () => {
  it('FRAME whose length is 2^63', async () => {
    const bytes = P().proto(4).op('\x95').u64(1n << 63n).none().stop().done();
    await bothRefuse(bytes, /pickle.*FRAME at offset 2: frame of 9223372036854775808 bytes/, 'frame.pkl');
  });

  it('PERSID with a text id, in a plain pickle and in a torch zip', async () => {
    await bothRefuse(latin1('Pabc\n.'), /PERSID at offset 0: persistent id outside a torch container/, 'persid.pkl');
    await bothRefuse(torchZip(latin1('\x80\x02Pabc\n.')), /archive\/data\.pkl: persistent id at offset 2: persistent id must be \('storage'/, 'persid.pt');
  });

  it('BINPERSID whose argument is not a tuple, in a plain pickle and in a torch zip', async () => {
    await bothRefuse(latin1('\x80\x02K\x01Q.'), /BINPERSID at offset 4: persistent id outside a torch container/, 'binpersid.pkl');
    await bothRefuse(torchZip(latin1('\x80\x02K\x01Q.')), /archive\/data\.pkl: persistent id at offset 4: persistent id must be \('storage'.*got number/, 'binpersid.pt');
  });

  it('protocol 0 pickle starting with INT: b"I42\\n."', async () => {
    const bytes = latin1('I42\n.');
    expect(torchLoad(bytes)).toBe(42);
    expect(scanPickle(bytes).verdict).toBe('safe');
    const { code, lines } = await cli(bytes, 'int.pkl');
    expect(code).toBe(0);
    expect(lines[0]).toMatch(/: plain pickle$/);
    expect(lines.at(-1)).toMatch(/^verdict: SAFE/);
  });

  it('protocol 0 pickle starting with STRING: b"S\'abc\'\\np0\\n."', async () => {
    const bytes = latin1("S'abc'\np0\n.");
    expect(torchLoad(bytes)).toBe('abc');
    expect(scanPickle(bytes).verdict).toBe('safe');
    const { code, lines } = await cli(bytes, 'string.pkl');
    expect(code).toBe(0);
    expect(lines[0]).toMatch(/: plain pickle$/);
    expect(lines.at(-1)).toMatch(/^verdict: SAFE/);
  });
});

describe('a protocol 0/1 pickle may start with any opcode that can start one', () => {
  // [first opcode, pickle as latin-1, the value Python's pickle.loads gives]
  const STARTS: Array<[string, string, unknown]> = [
    ['INT', 'I42\n.', 42], ['INT bool', 'I01\n.', true], ['LONG', 'L5L\n.', 5], ['FLOAT', 'F1.5\n.', 1.5],
    ['STRING', "S'abc'\np0\n.", 'abc'], ['UNICODE', 'Vx\\u00e9\n.', 'x\u00e9'], ['NONE', 'N.', null],
    ['MARK/LIST', '(I1\nl.', [1]], ['MARK/TUPLE', '(t.', []], ['MARK/DICT', "(S'k'\nI1\nd.", new Map([['k', 1]])],
    ['BININT1', 'K\x07.', 7], ['BININT', 'J\xff\xff\xff\xff.', -1], ['BININT2', 'M\x00\x01.', 256],
    ['BINSTRING', 'T\x01\x00\x00\x00a.', 'a'], ['SHORT_BINSTRING', 'U\x01b.', 'b'], ['BINUNICODE', 'X\x01\x00\x00\x00c.', 'c'],
    ['BINFLOAT', 'G\x3f\xf0\x00\x00\x00\x00\x00\x00.', 1], ['EMPTY_LIST', '].', []], ['EMPTY_TUPLE', ').', []],
    ['EMPTY_DICT', '}.', new Map()], ['GLOBAL', 'ctorch\nfloat32\n.', 'global'],
    ['GLOBAL+REDUCE', 'ccollections\nOrderedDict\n)R.', new Map()], ['INST', '(icollections\nOrderedDict\n.', new Map()],
  ];
  for (const [name, src, want] of STARTS) {
    it(`${name}: ${JSON.stringify(src)}`, async () => {
      const bytes = latin1(src);
      const v = torchLoad(bytes);
      if (want === 'global') expect(String((v as { qualname: string }).qualname)).toBe('torch.float32');
      else expect(v).toEqual(want);
      const r = scanPickle(bytes);
      expect([r.format, r.verdict, r.malformed]).toEqual(['pickle', 'safe', undefined]);
      expect((await cli(bytes, `start-${name.replace(/\W/g, '_')}.pkl`)).code).toBe(0);
    });
  }

  it('a truncated protocol 0 pickle is malformed, not "not a pickle"', async () => {
    await bothRefuse(latin1('I42\n'), /truncated at offset 4 \(no STOP\)/, 'int-truncated.pkl');
  });
});

// ---------------------------------------------------------------------------------------------
// The property: for generated and mutated pickles, scan's verdict is the one torchLoad's outcome
// implies. The oracle is torchLoad itself, run with a host that only notes whether the error came
// from inside an allow-listed constructor (its own argument checks, which scan never runs).

type Outcome =
  | { kind: 'safe' }
  | { kind: 'unsafe'; error: UnsafePickleError }
  | { kind: 'malformed'; error: ModelFormatError | ResourceLimitError }
  | { kind: 'constructor'; error: TesseraError };

const LIMITS = { maxBytes: 64 << 20, maxObjects: 100_000 };
/** Scales every numRuns below (e.g. TESSERA_PARITY_RUNS=20 for a long soak). */
const SCALE = Number(process.env.TESSERA_PARITY_RUNS ?? 1);
const runs = (n: number): { numRuns: number } => ({ numRuns: Math.max(1, Math.round(n * SCALE)) });

function oracle(bytes: Uint8Array): Outcome {
  let inConstructor = false;
  const host: UnpickleHost = {
    construct: (entry, args, ctx, kwargs) => {
      try {
        return LOAD_HOST.construct(entry, args, ctx, kwargs);
      } catch (e) {
        inConstructor = true;
        throw e;
      }
    },
    build: (builder, state, ctx) => {
      try {
        return LOAD_HOST.build(builder, state, ctx);
      } catch (e) {
        inConstructor = true;
        throw e;
      }
    },
    refuse: (e, kind) => LOAD_HOST.refuse(e, kind),
  };
  try {
    torchLoad(bytes, { limits: LIMITS, host });
    return { kind: 'safe' };
  } catch (e) {
    if (!(e instanceof TesseraError)) throw new Error(`torchLoad threw an untyped ${String(e)}`);
    if (inConstructor) return { kind: 'constructor', error: e };
    if (e instanceof UnsafePickleError) return { kind: 'unsafe', error: e };
    if (e instanceof ModelFormatError || e instanceof ResourceLimitError) return { kind: 'malformed', error: e };
    throw new Error(`torchLoad threw ${e.name}: ${e.message}`);
  }
}

/** 'OPCODE at offset N' of a message, the place both sides must name. */
const place = (m: string): string | undefined => /([A-Z_0-9]+ at offset \d+|persistent id at offset \d+|truncated at offset \d+|unknown opcode 0x[0-9a-f]+ at offset \d+|byte\(s\) after STOP at offset \d+)/.exec(m)?.[1];

/** Reasons that come from a part torchLoad never reads (a pickle after STOP, a zip member other than data.pkl). */
const elsewhere = (reason: string, r: ScanReport): boolean =>
  r.pickles.some((p) => !p.loaded && reason.startsWith(`${p.part}: `));

const stats = new Map<string, number>();
function agree(bytes: Uint8Array): void {
  const o = oracle(bytes);
  const r = scanPickle(bytes, { limits: LIMITS });
  // scanFile (the CLI's scan) reads at least what scanPickle reads: never safe where it is not.
  const file = scanFile(bytes, { limits: LIMITS });
  if (r.verdict === 'unsafe') expect(file.verdict, `scanFile: ${file.verdict}`).toBe('unsafe');
  if (file.verdict === 'safe') expect(['safe', 'not-pickle'], `scanPickle: ${r.verdict}`).toContain(r.verdict);
  const key = `${o.kind}->${r.verdict}`;
  stats.set(key, (stats.get(key) ?? 0) + 1);
  const ctx = `torchLoad: ${o.kind}${'error' in o ? ` (${o.error.message})` : ''}; scan: ${r.verdict} ${JSON.stringify(r.reasons)} ${r.malformed ?? ''}`;
  switch (o.kind) {
    case 'safe':
      // A pickle member torchLoad never reads may still carry a payload: unsafe for that alone.
      if (r.verdict === 'unsafe') expect(r.reasons.every((x) => elsewhere(x, r)), ctx).toBe(true);
      else expect(r.verdict, ctx).toBe('safe');
      break;
    case 'unsafe':
      expect(r.verdict, ctx).toBe('unsafe');
      break;
    case 'malformed':
      if (r.verdict === 'unsafe') {
        expect(r.reasons.every((x) => elsewhere(x, r)), ctx).toBe(true);
      } else {
        expect(['malformed', 'not-pickle'], ctx).toContain(r.verdict);
        const msg = r.verdict === 'malformed' ? r.malformed! : r.reasons[0]!;
        expect(place(msg), ctx).toBe(place(o.error.message));
        expect(msg.replace(/^pickle 1: /, 'pickle: ').split(' at offset ')[0], ctx).toBe(o.error.message.split(' at offset ')[0]);
      }
      break;
    case 'constructor':
      // Scan does not run constructors; it goes on past them with placeholders. It may find the
      // file SAFE, but never claims it is not a pickle.
      expect(r.verdict, ctx).not.toBe('not-pickle');
      break;
  }
}

// --- Generators -----------------------------------------------------------------------------

/** A Python value to pickle: scalars, containers, and calls of globals (allowed or not). */
type PyV =
  | null | boolean | number | bigint | string | { bytes: number[] } | { list: PyV[] } | { tuple: PyV[] }
  | { dict: Array<[PyV, PyV]> } | { call: [string, string]; args: PyV[] } | { global: [string, string] } | { memo: number };

const GLOBALS: Array<[string, string]> = [
  ['collections', 'OrderedDict'], ['builtins', 'set'], ['builtins', 'frozenset'], ['builtins', 'slice'], ['builtins', 'complex'],
  ['__builtin__', 'set'], ['torch', 'Size'], ['torch', 'device'], ['torch.jit._pickle', 'build_intlist'],
  ['torch.jit._pickle', 'restore_type_tag'], ['_codecs', 'encode'], ['numpy', 'dtype'], ['torch', 'float32'], ['torch', 'FloatStorage'],
  ['os', 'system'], ['posix', 'system'], ['builtins', 'eval'], ['subprocess', 'Popen'],
  ['torch._utils', '__proto__'], ['collections', 'constructor'], ['torch', 'toString'], ['builtins', 'hasOwnProperty'],
];

const pyValue: fc.Arbitrary<PyV> = fc.letrec<{ v: PyV }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null), fc.boolean(), fc.integer({ min: -70000, max: 70000 }), fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
    fc.double({ noNaN: true }), fc.string({ maxLength: 6 }), fc.constantFrom('__proto__', 'constructor', 'cpu', 'latin1', 'f4'),
    fc.array(fc.nat(255), { maxLength: 4 }).map((bytes) => ({ bytes })),
    fc.array(tie('v'), { maxLength: 4 }).map((list) => ({ list })),
    fc.array(tie('v'), { maxLength: 4 }).map((tuple) => ({ tuple })),
    fc.array(fc.tuple(tie('v'), tie('v')), { maxLength: 3 }).map((dict) => ({ dict })),
    fc.tuple(fc.constantFrom(...GLOBALS), fc.array(tie('v'), { maxLength: 3 })).map(([call, args]) => ({ call, args })),
    fc.constantFrom(...GLOBALS).map((global) => ({ global })),
    fc.nat(3).map((memo) => ({ memo })),
  ),
})).v;

const enc = new TextEncoder();

/** Writes `v` opcode by opcode: text opcodes for protocols 0/1, binary ones from 2 (an independent writer). */
function writePickle(v: PyV, proto: number): Uint8Array {
  const w = P();
  if (proto >= 2) w.proto(proto);
  let memo = 0;
  const text = (s: string): void => { w.raw(enc.encode(s)); };
  const put = (): void => {
    if (proto === 0) text(`p${memo}\n`); else if (proto < 4) w.binput(memo & 0xff); else w.op('\x94');
    memo++;
  };
  const emit = (x: PyV): void => {
    if (x === null) w.none();
    else if (typeof x === 'boolean') { if (proto >= 2) w.op(x ? '\x88' : '\x89'); else text(x ? 'I01\n' : 'I00\n'); }
    else if (typeof x === 'number') {
      if (proto === 0 || !Number.isInteger(x)) text(Number.isInteger(x) ? `I${x}\n` : `F${x}\n`);
      else if (x >= 0 && x < 256) w.int(x); else w.op('J').u32(x);
    } else if (typeof x === 'bigint') text(`L${x}L\n`);
    else if (typeof x === 'string') {
      if (proto === 0) text(`V${[...x].map((c) => (c.charCodeAt(0) < 128 && c !== '\\' && c !== '\n' ? c : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)).join('')}\n`);
      else w.str(x);
      put();
    } else if ('bytes' in x) {
      if (proto >= 3) w.bytes(x.bytes);
      else { w.global('_codecs', 'encode'); emit(String.fromCharCode(...x.bytes)); emit('latin1'); w.tuple(2).reduce(); }
    } else if ('list' in x) {
      if (proto === 0) { w.mark().op('l'); put(); for (const i of x.list) { emit(i); w.op('a'); } }
      else { w.emptyList(); put(); if (x.list.length) { w.mark(); x.list.forEach(emit); w.op('e'); } }
    } else if ('tuple' in x) { w.mark(); x.tuple.forEach(emit); w.op('t'); }
    else if ('dict' in x) {
      if (proto === 0) { w.mark().op('d'); put(); for (const [k, val] of x.dict) { emit(k); emit(val); w.setitem(); } }
      else { w.emptyDict(); put(); if (x.dict.length) { w.mark(); for (const [k, val] of x.dict) { emit(k); emit(val); } w.op('u'); } }
    } else if ('call' in x) {
      if (proto >= 4 && x.args.length % 2) { w.str(x.call[0]).str(x.call[1]).op('\x93'); } else w.global(...x.call);
      w.mark(); x.args.forEach(emit); w.op('t').reduce();
    } else if ('global' in x) w.global(...x.global);
    else {
      // A memo reference (possibly never stored: a malformed pickle).
      if (proto === 0) text(`g${x.memo}\n`); else w.binget(x.memo);
    }
  };
  emit(v);
  return w.stop().done();
}

/** Byte-level edits: overwrite, insert, delete, truncate. */
function mutate(base: Uint8Array): fc.Arbitrary<Uint8Array> {
  const edit = fc.tuple(fc.nat({ max: Math.max(0, base.length - 1) }), fc.integer({ min: 0, max: 3 }), fc.uint8Array({ minLength: 1, maxLength: 6 }));
  return fc.array(edit, { minLength: 1, maxLength: 4 }).map((edits) => {
    let b = Array.from(base);
    for (const [at, kind, data] of edits) {
      const i = Math.min(at, b.length);
      if (kind === 0) data.forEach((v, k) => { if (i + k < b.length) b[i + k] = v; });
      else if (kind === 1) b.splice(i, 0, ...data);
      else if (kind === 2) b.splice(i, data.length);
      else b = b.slice(0, i + 1);
    }
    return Uint8Array.from(b);
  });
}

/** Mutations that keep to the opcode alphabet: swap in another opcode byte or a small argument. */
function mutateOpcodes(base: Uint8Array): fc.Arbitrary<Uint8Array> {
  const opBytes = OPCODES.filter((o) => o !== undefined).map((o) => o!.code);
  const edit = fc.tuple(fc.nat({ max: Math.max(0, base.length - 1) }), fc.boolean(), fc.constantFrom(...opBytes), fc.nat(255));
  return fc.array(edit, { minLength: 1, maxLength: 3 }).map((edits) => {
    const b = Array.from(base);
    for (const [at, insert, op, small] of edits) {
      if (insert) b.splice(at, 0, op, small); else b[at] = op;
    }
    return Uint8Array.from(b);
  });
}

const FIX = join(import.meta.dirname, '../../spec-models/pickle');
const fixture = (f: string): Uint8Array => new Uint8Array(readFileSync(join(FIX, f)));

describe('property: scan says malformed/unsafe/safe exactly as torchLoad refuses or loads', () => {
  afterAll(() => {
    // How the verdicts spread (printed so a reviewer can see every branch was exercised).
    console.log('scan parity outcomes (torchLoad -> scan):', Object.fromEntries([...stats].sort()));
  });

  for (const proto of [0, 1, 2, 4]) {
    it(`generated pickles, protocol ${proto}`, () => {
      fc.assert(fc.property(pyValue, (v) => agree(writePickle(v, proto))), runs(400));
    });
    it(`mutated generated pickles, protocol ${proto}`, () => {
      fc.assert(fc.property(pyValue.chain((v) => fc.oneof(mutate(writePickle(v, proto)), mutateOpcodes(writePickle(v, proto)))), agree), runs(400));
    });
  }

  it('the hostile corpus and its mutations', () => {
    for (const h of HOSTILE) {
      const bytes = h.bytes();
      if (bytes.length > 4096) continue; // the 100k-opcode nests and bombs: hostile.test.ts covers them
      fc.assert(fc.property(fc.oneof(fc.constant(bytes), mutateOpcodes(bytes)), agree), runs(15));
    }
  });

  for (const f of ['plain_p0.pkl', 'plain_p1.pkl', 'plain_p3.pkl', 'numpy_p0.pkl', 'numpy_p2.pkl', 'numpy_p4.pkl', 'numpy_p5.pkl', 'views_legacy.pt', 'dtypes_legacy.pt']) {
    it(`mutations of ${f}`, () => {
      const base = fixture(f);
      agree(base);
      fc.assert(fc.property(fc.oneof(mutate(base), mutateOpcodes(base)), agree), runs(150));
    });
  }

  for (const f of ['checkpoint.pt', 'views.pt', 'state_dict_p5.pt']) {
    it(`mutations of ${f}'s data.pkl inside a valid zip`, () => {
      const zip = new ZipArchive(fixture(f));
      const budget = new Budget();
      const members = zip.names().map((name) => ({ name, data: zip.read(name, budget).slice() }));
      const pkl = members.find((m) => m.name.endsWith('data.pkl'))!;
      agree(fixture(f));
      fc.assert(fc.property(fc.oneof(mutate(pkl.data), mutateOpcodes(pkl.data)), (data) => {
        agree(writeZip(members.map((m) => (m === pkl ? { name: m.name, data } : m))));
      }), runs(150));
    });

    it(`mutations of ${f}'s member names`, () => {
      // A mutated name once made torchLoad and scan pick different members (archive/data.pkl ->
      // archive(data.pkl): both now take their members from zipMemberRoles.
      const zip = new ZipArchive(fixture(f));
      const budget = new Budget();
      const members = zip.names().map((name) => ({ name, data: zip.read(name, budget).slice() }));
      const edit = fc.tuple(fc.nat(members.length - 1), fc.nat(40), fc.constantFrom(0x2f, 0x28, 0x2e, 0x5f, 0x61, 0x70, 0x6b, 0x6c), fc.boolean());
      fc.assert(fc.property(fc.array(edit, { minLength: 1, maxLength: 3 }), (edits) => {
        const names = members.map((m) => Array.from(new TextEncoder().encode(m.name)));
        for (const [which, at, byte, insert] of edits) {
          const n = names[which]!;
          const i = Math.min(at, n.length);
          if (insert) n.splice(i, 0, byte); else if (i < n.length) n[i] = byte;
        }
        const renamed = members.map((m, k) => ({ name: new TextDecoder().decode(Uint8Array.from(names[k]!)), data: m.data }));
        if (new Set(renamed.map((m) => m.name)).size !== renamed.length) return; // a duplicate name: refused by both, not interesting
        agree(writeZip(renamed));
      }), runs(150));
    });
  }
});
