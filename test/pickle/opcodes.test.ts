// Every opcode of protocols 0-5, each in a hand-written pickle whose value Python gives as noted.

import { describe, expect, it } from 'vitest';
import { ModelFormatError } from '../../src/errors.js';
import {
  isFrozenSet, isTuple, OPCODES, PyComplex, PyGlobal, PySlice, scanPickle, unpickle,
} from '../../src/formats/pickle/index.js';
import { Tensor } from '../../src/tensor.js';
import { P } from './hostile/pickle-writer.js';

const load = (b: Uint8Array, buffers?: Uint8Array[]): unknown => unpickle(b, 0, { buffers }).value;
const bytesOf = (s: string): Uint8Array => Uint8Array.from([...s].map((c) => c.charCodeAt(0)));

// [description, pickle bytes (latin-1 string), value Python's pickle.loads returns]
const CASES: Array<[string, string, unknown]> = [
  ['NONE', '\x80\x02N.', null],
  ['NEWTRUE/NEWFALSE in TUPLE2', '\x80\x02\x88\x89\x86.', [true, false]],
  ['INT 01/00 are bools', 'I01\nI00\n\x86.', [true, false]],
  ['INT', 'I-42\n.', -42],
  ['BININT', 'J\xfe\xff\xff\xff.', -2],
  ['BININT1', 'K\xff.', 255],
  ['BININT2', 'M\x00\x01.', 256],
  ['LONG', 'L18446744073709551616L\n.', 18446744073709551616n],
  ['LONG1', '\x80\x02\x8a\x02\x00\x80.', -32768],
  ['LONG1 zero length', '\x80\x02\x8a\x00.', 0],
  ['LONG4', '\x80\x02\x8b\x09\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01.', 2n ** 64n],
  ['FLOAT', 'F-1.25e-3\n.', -1.25e-3],
  ['FLOAT inf', 'Finf\n.', Infinity],
  ['BINFLOAT', 'G\x3f\xf8\x00\x00\x00\x00\x00\x00.', 1.5],
  ['STRING with escapes', "S'a\\n\\x41\\'\\\\'\n.", "a\nA'\\"],
  ['BINSTRING', 'T\x02\x00\x00\x00hi.', 'hi'],
  ['SHORT_BINSTRING', 'U\x02yo.', 'yo'],
  ['UNICODE raw-unicode-escape', 'Vcaf\\u00e9 \\U0001f600\n.', 'café 😀'],
  ['SHORT_BINUNICODE utf-8', '\x80\x04\x8c\x03\xc3\xa9!.', 'é!'],
  ['BINUNICODE', 'X\x01\x00\x00\x00z.', 'z'],
  ['BINUNICODE8', '\x80\x04\x8d\x01\x00\x00\x00\x00\x00\x00\x00q.', 'q'],
  ['EMPTY_LIST APPEND APPENDS', '\x80\x02]K\x01a(K\x02K\x03e.', [1, 2, 3]],
  ['LIST', '(K\x01K\x02l.', [1, 2]],
  ['EMPTY_TUPLE', '\x80\x02).', []],
  ['TUPLE', '(K\x01K\x02K\x03K\x04t.', [1, 2, 3, 4]],
  ['TUPLE1/TUPLE3', '\x80\x02K\x01\x85K\x02K\x03K\x04\x87\x86.', [[1], [2, 3, 4]]],
  ['POP', '\x80\x02K\x01K\x020.', 1],
  ['POP_MARK', '\x80\x02K\x07(K\x01K\x021.', 7],
  ['DUP', '\x80\x02K\x052\x86.', [5, 5]],
  ['PUT/GET text memo', '(lp0\ng0\na.', 'cycle'],
  ['BINPUT/BINGET', '\x80\x02K\x09q\x01h\x01\x86.', [9, 9]],
  ['LONG_BINPUT/LONG_BINGET', '\x80\x02K\x09r\x00\x01\x00\x00j\x00\x01\x00\x00\x86.', [9, 9]],
  ['MEMOIZE', '\x80\x04K\x08\x94h\x00\x86.', [8, 8]],
  ['FRAME', '\x80\x04\x95\x03\x00\x00\x00\x00\x00\x00\x00K\x01.', 1],
];

describe('every opcode', () => {
  it('the table has the 68 opcodes of pickletools', () => {
    expect(OPCODES.filter(Boolean)).toHaveLength(68);
  });

  for (const [name, src, want] of CASES) {
    it(name, () => {
      const got = load(bytesOf(src));
      if (want === 'cycle') {
        expect(Array.isArray(got) && (got as unknown[])[0] === got).toBe(true);
      } else {
        expect(got).toEqual(want);
      }
    });
  }

  it('tuples are marked, lists are not', () => {
    const v = load(bytesOf('\x80\x02]K\x01\x85\x86.')) as unknown[];
    expect(isTuple(v)).toBe(true);
    expect(isTuple(v[0])).toBe(false);
    expect(isTuple(v[1])).toBe(true);
  });

  it('EMPTY_DICT SETITEM SETITEMS DICT load as Map', () => {
    const v = load(bytesOf('\x80\x02}K\x01K\x02s(K\x03K\x04u(X\x09\x00\x00\x00__proto__K\x05d\x86.')) as Map<unknown, unknown>[];
    expect(v[0]).toEqual(new Map([[1, 2], [3, 4]]));
    expect(v[1]).toEqual(new Map([['__proto__', 5]]));
  });

  it('EMPTY_SET ADDITEMS FROZENSET', () => {
    const v = load(bytesOf('\x80\x04\x8f(K\x01K\x02\x90(K\x03\x91\x86.')) as Set<unknown>[];
    expect([...v[0]!]).toEqual([1, 2]);
    expect(isFrozenSet(v[1])).toBe(true);
  });

  it('BINBYTES SHORT_BINBYTES BINBYTES8 BYTEARRAY8', () => {
    const v = load(bytesOf('\x80\x05(B\x01\x00\x00\x00aC\x01b\x8e\x01\x00\x00\x00\x00\x00\x00\x00c\x96\x01\x00\x00\x00\x00\x00\x00\x00dt.')) as Uint8Array[];
    expect(v.map((b) => String.fromCharCode(...b))).toEqual(['a', 'b', 'c', 'd']);
  });

  it('NEXT_BUFFER and READONLY_BUFFER use the given out-of-band buffers', () => {
    const buf = new Uint8Array([1, 2, 3]);
    expect(load(bytesOf('\x80\x05\x97\x98.'), [buf])).toBe(buf);
    expect(() => load(bytesOf('\x80\x05\x97.'))).toThrow(ModelFormatError);
  });

  it('GLOBAL and STACK_GLOBAL push data, REDUCE calls only allow-listed builders', () => {
    expect(load(P().proto(2).global('torch', 'float16').stop().done())).toEqual(new PyGlobal('torch', 'float16'));
    expect(load(P().proto(4).str('torch').str('bfloat16').op('\x93').stop().done())).toEqual(new PyGlobal('torch', 'bfloat16'));
    expect(load(P().proto(2).global('builtins', 'set').emptyList().int(1).op('a').tuple(1).reduce().stop().done())).toEqual(new Set([1]));
    expect(load(P().proto(2).global('__builtin__', 'complex').int(1).int(2).tuple(2).reduce().stop().done())).toEqual(new PyComplex(1, 2));
    expect(load(P().proto(2).global('builtins', 'slice').int(1).int(5).none().tuple(3).reduce().stop().done())).toEqual(new PySlice(1, 5, null));
    expect(load(P().proto(2).global('_codecs', 'encode').str('\u00ff').str('latin1').tuple(2).reduce().stop().done())).toEqual(new Uint8Array([255]));
    expect(load(P().proto(2).global('torch', 'Size').int(2).int(3).tuple(2).tuple(1).reduce().stop().done())).toEqual([2, 3]);
    expect(load(P().proto(2).global('torch', 'device').str('cuda').int(1).tuple(2).reduce().stop().done())).toBe('cuda:1');
  });

  it('INST, OBJ, NEWOBJ and NEWOBJ_EX call allow-listed builders', () => {
    expect(load(P().mark().op('i').raw(bytesOf('collections\nOrderedDict\n')).stop().done())).toEqual(new Map());
    expect(load(P().proto(2).mark().global('builtins', 'frozenset').op('o').stop().done())).toEqual(new Set());
    expect(load(P().proto(2).global('collections', 'OrderedDict').tuple(0).op('\x81').stop().done())).toEqual(new Map());
    expect(load(P().proto(4).global('collections', 'OrderedDict').tuple(0).emptyDict().op('\x92').stop().done())).toEqual(new Map());
  });

  it('BUILD sets state on loader-constructed objects (numpy dtype, OrderedDict)', () => {
    const arr = P().proto(2).global('numpy.core.multiarray', '_reconstruct').global('numpy', 'ndarray').int(0).tuple(1).bytes([0x62]).tuple(3).reduce()
      .mark().int(1).int(2).tuple(1).global('numpy', 'dtype').str('i2').op('\x89\x88').tuple(3).reduce()
      .mark().int(3).str('>').none().none().none().int(-1).int(-1).int(0).op('t').build()
      .op('\x89').bytes([0, 1, 255, 254]).op('t').build().stop().done();
    const t = load(arr) as Tensor;
    expect(t).toBeInstanceOf(Tensor);
    expect([...(t.data as Int16Array)]).toEqual([1, -2]);
  });

  it('PERSID and BINPERSID go through persistentLoad', () => {
    const seen: unknown[] = [];
    const v = unpickle(bytesOf('\x80\x02Pabc\nK\x07Q\x86.'), 0, { persistentLoad: (pid) => { seen.push(pid); return 'x'; } }).value;
    expect(v).toEqual(['x', 'x']);
    expect(seen).toEqual(['abc', 7]);
  });

  it('EXT1/EXT2/EXT4 are refused', () => {
    for (const s of ['\x80\x02\x82\x01.', '\x80\x02\x83\x01\x00.', '\x80\x02\x84\x01\x00\x00\x00.']) {
      expect(() => load(bytesOf(s))).toThrow(/extension code 1/);
    }
  });

  it('the scanner counts every opcode it sees', () => {
    const r = scanPickle(bytesOf('\x80\x02]K\x01a(K\x02K\x03e.'));
    expect(Object.fromEntries(r.pickles[0]!.opcodes)).toEqual({ PROTO: 1, EMPTY_LIST: 1, BININT1: 3, APPEND: 1, MARK: 1, APPENDS: 1, STOP: 1 });
  });
});

describe('options', () => {
  it('recordClasses loads named classes as data-only records, nothing else', async () => {
    const { torchLoad, PyRecord } = await import('../../src/formats/pickle/index.js');
    const ns = P().proto(4).global('argparse', 'Namespace').tuple(0).emptyDict().str('lr').int(3).op('s').op('\x92')
      .emptyDict().str('x').int(1).op('s').build().stop().done();
    expect(() => torchLoad(ns)).toThrow(/argparse\.Namespace is not an allowed global/);
    const rec = torchLoad(ns, { recordClasses: ['argparse.Namespace'] }) as InstanceType<typeof PyRecord>;
    expect(rec).toBeInstanceOf(PyRecord);
    expect(rec.cls.qualname).toBe('argparse.Namespace');
    expect(rec.kwargs).toEqual(new Map([['lr', 3]]));
    expect(rec.state).toEqual(new Map([['x', 1]]));
  });

  it('looksLikeTorchFile tells torch files from others', async () => {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { looksLikeTorchFile } = await import('../../src/formats/pickle/index.js');
    const dir = join(import.meta.dirname, '../../spec-models');
    expect(looksLikeTorchFile(new Uint8Array(readFileSync(join(dir, 'pickle/views.pt'))))).toBe(true);
    expect(looksLikeTorchFile(new Uint8Array(readFileSync(join(dir, 'pickle/views_legacy.pt'))))).toBe(true);
    expect(looksLikeTorchFile(new Uint8Array(readFileSync(join(dir, 'digits/digits_cnn_opset13.onnx'))))).toBe(false);
  });

  it('a TorchScript archive loads its module tree as records and flattens to a state dict', async () => {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { torchLoad, stateDict } = await import('../../src/formats/pickle/index.js');
    const dir = join(import.meta.dirname, '../../spec-models/digits');
    const script = stateDict(torchLoad(new Uint8Array(readFileSync(join(dir, 'digits_cnn_script.pt')))));
    const plain = stateDict(torchLoad(new Uint8Array(readFileSync(join(dir, 'digits_cnn_state_dict.pt')))));
    expect([...script.keys()].sort()).toEqual([...plain.keys()].sort());
    for (const [k, t] of plain) expect(script.get(k)!.data).toEqual(t.data);
  });
});
