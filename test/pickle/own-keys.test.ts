// Names from the file are never looked up as JavaScript properties: globals such as
// torch._utils.__proto__ are refused as unsafe, dtype codes and storage keys such as 'toString'
// or '__proto__' are plain data. And torchLoad accepts the shared ResourceLimits names.

import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, ModelFormatError, ResourceLimitError, UnsafePickleError } from '../../src/errors.js';
import { scanPickle, stateDict, torchLoad, unpickle } from '../../src/formats/pickle/index.js';
import { Tensor } from '../../src/tensor.js';
import { P, floats, tensorRef, writeZip } from './hostile/pickle-writer.js';

const JS_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'prototype', 'call', 'apply'];
const MODULES = ['torch._utils', 'collections', 'torch', 'torch.cuda', 'builtins', '__builtin__', 'numpy', 'numpy.core.multiarray', 'torch.jit._pickle', '_codecs'];

function refusal(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('globals named after JavaScript internals are refused, not resolved', () => {
  for (const m of MODULES) {
    for (const n of JS_NAMES) {
      it(`${m}.${n}`, () => {
        // GLOBAL at offset 2, then called with no arguments.
        const viaGlobal = P().proto(2).global(m, n).tuple(0).reduce().stop().done();
        const e = refusal(() => torchLoad(viaGlobal));
        expect(e).toBeInstanceOf(UnsafePickleError);
        expect((e as UnsafePickleError).code).toBe('UNSAFE_PICKLE');
        expect((e as Error).message).toBe(`pickle: ${m}.${n} is not an allowed global (GLOBAL at offset 2)`);
        const r = scanPickle(viaGlobal);
        expect(r.verdict).toBe('unsafe');
        expect(r.pickles[0]!.globals).toEqual([{ module: m, name: n, opcode: 'GLOBAL', offset: 2, allowed: false }]);

        // STACK_GLOBAL from strings: the opcode sits after PROTO and the two strings.
        const viaStack = P().proto(4).str(m).str(n).op('\x93').stop().done();
        const at = 2 + 2 + new TextEncoder().encode(m).length + 2 + new TextEncoder().encode(n).length;
        const e2 = refusal(() => torchLoad(viaStack));
        expect(e2).toBeInstanceOf(UnsafePickleError);
        expect((e2 as Error).message).toBe(`pickle: ${m}.${n} is not an allowed global (STACK_GLOBAL at offset ${at})`);
        expect(scanPickle(viaStack).verdict).toBe('unsafe');

        // INST (protocol 0) at offset 1, after MARK.
        const viaInst = P().mark().op('i').raw(new TextEncoder().encode(`${m}\n${n}\n`)).stop().done();
        const e3 = refusal(() => torchLoad(viaInst));
        expect(e3).toBeInstanceOf(UnsafePickleError);
        expect((e3 as Error).message).toBe(`pickle: ${m}.${n} is not an allowed global (INST at offset 1)`);
        expect(scanPickle(viaInst).verdict).toBe('unsafe');
      });
    }
  }

  it('inside a torch zip the refusal names the member', () => {
    const w = P().proto(2).global('torch._utils', '__proto__').stop().done();
    const zip = writeZip([{ name: 'archive/data.pkl', data: w }]);
    expect(() => torchLoad(zip)).toThrow(/^archive\/data\.pkl: torch\._utils\.__proto__ is not an allowed global \(GLOBAL at offset 2\)$/);
  });

  it('recordClasses matches whole names only', () => {
    const w = P().proto(2).global('argparse', 'constructor').tuple(0).reduce().stop().done();
    expect(() => unpickle(w, 0, { recordClasses: ['argparse.Namespace'] })).toThrow(UnsafePickleError);
  });
});

describe('dtype codes, storage keys and dict keys named after JavaScript internals are data', () => {
  it('numpy dtype codes toString / valueOf are unsupported dtypes, not Object.prototype members', () => {
    for (const code of ['toString', 'valueOf']) {
      const w = P().proto(2).global('numpy.core.numeric', '_frombuffer').mark().bytes([1, 2, 3, 4])
        .global('numpy', 'dtype').str(code).tuple(1).reduce().int(1).tuple(1).str('C').op('t').reduce().stop().done();
      const e = refusal(() => torchLoad(w));
      expect(e).toBeInstanceOf(ModelFormatError);
      expect((e as Error).message).toMatch(new RegExp(`REDUCE at offset \\d+: _frombuffer: unsupported numpy dtype '${code}'`));
    }
  });

  it('storage keys __proto__ and constructor load the right storages', () => {
    const w = P().proto(2).emptyDict().str('a');
    tensorRef(w, '__proto__', 2, 0, [2], [1]).setitem().str('b');
    tensorRef(w, 'constructor', 2, 0, [2], [1]).setitem().stop();
    const file = writeZip([
      { name: 'archive/data.pkl', data: w.done() },
      { name: 'archive/data/__proto__', data: floats([1, 2]) },
      { name: 'archive/data/constructor', data: floats([3, 4]) },
    ]);
    const sd = stateDict(torchLoad(file));
    expect([...(sd.get('a')!.data as Float32Array)]).toEqual([1, 2]);
    expect([...(sd.get('b')!.data as Float32Array)]).toEqual([3, 4]);
    expect(scanPickle(file).verdict).toBe('safe');
  });

  it('a missing storage named toString is a format error naming the member', () => {
    const w = P().proto(2);
    tensorRef(w, 'toString', 2, 0, [2], [1]).stop();
    const file = writeZip([{ name: 'archive/data.pkl', data: w.done() }]);
    expect(() => torchLoad(file)).toThrow(/persistent id at offset \d+: storage member 'archive\/data\/toString' is missing/);
    expect(scanPickle(file).verdict).toBe('malformed');
  });

  it('dict keys __proto__ and constructor are ordinary keys', () => {
    const w = P().proto(2).emptyDict().str('__proto__').int(1).setitem().str('constructor').int(2).setitem().stop().done();
    const d = torchLoad(w) as Map<string, number>;
    expect(d).toBeInstanceOf(Map);
    expect([...d]).toEqual([['__proto__', 1], ['constructor', 2]]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('torchLoad accepts the shared ResourceLimits names', () => {
  const nest = (n: number): Uint8Array => P().proto(2).none().op('\x85'.repeat(n)).stop().done();
  const list = (n: number): Uint8Array => { const w = P().proto(2).mark(); for (let i = 0; i < n; i++) w.int(i); return w.op('l').stop().done(); };
  const limitOf = (f: () => unknown): ResourceLimitError => {
    const e = refusal(f);
    expect(e).toBeInstanceOf(ResourceLimitError);
    expect((e as ResourceLimitError).code).toBe('RESOURCE_LIMIT');
    return e as ResourceLimitError;
  };

  it('maxRecursionDepth -> maxDepth', () => {
    expect(() => torchLoad(nest(20), { limits: { maxRecursionDepth: 20 } })).not.toThrow();
    const e = limitOf(() => torchLoad(nest(21), { limits: { maxRecursionDepth: 20 } }));
    expect(e.message).toMatch(/TUPLE1 at offset 23: nesting deeper than maxDepth=20/);
    expect([e.limit, e.value, e.max]).toEqual(['maxDepth', 21, 20]);
  });

  it('maxMemoryBytes -> maxBytes (the input counts)', () => {
    const bytes = list(10);
    const e = limitOf(() => torchLoad(bytes, { limits: { maxMemoryBytes: bytes.length - 1 } }));
    expect([e.limit, e.value, e.max]).toEqual(['maxBytes', bytes.length, bytes.length - 1]);
    expect(() => torchLoad(bytes, { limits: { maxMemoryBytes: bytes.length } })).not.toThrow();
  });

  it('maxSequenceLength caps lists, tuples, dicts and sets', () => {
    expect(torchLoad(list(5), { limits: { maxSequenceLength: 5 } })).toEqual([0, 1, 2, 3, 4]);
    const e = limitOf(() => torchLoad(list(6), { limits: { maxSequenceLength: 5 } }));
    expect(e.message).toMatch(/LIST at offset 15: a container of 6 items exceeds maxSequenceLength=5/);
    expect([e.limit, e.value, e.max]).toEqual(['maxSequenceLength', 6, 5]);
    const appends = P().proto(2).emptyList().mark().int(1).int(2).op('e').mark().int(3).op('e').stop().done();
    expect(limitOf(() => torchLoad(appends, { limits: { maxSequenceLength: 2 } })).message).toMatch(/APPENDS at offset 12/);
    const dict = P().proto(2).emptyDict().mark().int(1).int(1).int(2).int(2).int(3).int(3).op('u').stop().done();
    expect(limitOf(() => torchLoad(dict, { limits: { maxSequenceLength: 2 } })).message).toMatch(/SETITEMS at offset/);
    const set = P().proto(4).op('\x8f').mark().int(1).int(2).int(3).op('\x90').stop().done();
    expect(limitOf(() => torchLoad(set, { limits: { maxSequenceLength: 2 } })).message).toMatch(/ADDITEMS at offset/);
    // scan applies the same limit
    expect(scanPickle(list(6), { limits: { maxSequenceLength: 5 } }).verdict).toBe('malformed');
  });

  it('maxTensorElements caps one loaded tensor', () => {
    const w = P().proto(2);
    tensorRef(w, '0', 4, 0, [4], [1]).stop();
    const file = writeZip([{ name: 'archive/data.pkl', data: w.done() }, { name: 'archive/data/0', data: floats([1, 2, 3, 4]) }]);
    expect(torchLoad(file, { limits: { maxTensorElements: 4 } })).toBeInstanceOf(Tensor);
    const e = limitOf(() => torchLoad(file, { limits: { maxTensorElements: 3 } }));
    expect([e.limit, e.value, e.max]).toEqual(['maxTensorElements', 4, 3]);
    expect(e.message).toMatch(/archive\/data\.pkl: REDUCE at offset \d+: _rebuild_tensor_v2 on storage '0': 4 elements exceed/);
  });

  it('the pickle names still work; when both spellings are given the smaller wins', () => {
    expect(limitOf(() => torchLoad(nest(21), { limits: { maxDepth: 20 } })).limit).toBe('maxDepth');
    expect(limitOf(() => torchLoad(nest(21), { limits: { maxDepth: 20, maxRecursionDepth: 500 } })).max).toBe(20);
    expect(limitOf(() => torchLoad(nest(21), { limits: { maxDepth: 500, maxRecursionDepth: 20 } })).max).toBe(20);
  });

  it('limits that do not apply to a pickle are accepted; unknown names and bad values are refused', () => {
    expect(torchLoad(list(3), { limits: { maxNodes: 1, maxLoopIterations: 1, timeoutMs: 1 } })).toEqual([0, 1, 2]);
    const e = refusal(() => torchLoad(list(3), { limits: { maxDeepth: 3 } as never }));
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect((e as Error).message).toMatch(/unknown limit 'maxDeepth'/);
    expect(refusal(() => torchLoad(list(3), { limits: { maxRecursionDepth: -1 } }))).toBeInstanceOf(InvalidArgumentError);
  });
});
