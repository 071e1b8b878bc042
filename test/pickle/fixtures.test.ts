// PyTorch/numpy fixtures (spec-models/pickle_fixtures.py) load bit-exactly: every value of the
// tree, every tensor's bytes, dtypes, shapes, strides, offsets and which tensors share a storage.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/tensor.js';
import {
  isTuple, PyGlobal, scanPickle, stateDict, storageSharing, tensorSource, torchLoad, torchLoadWithFormat,
} from '../../src/formats/pickle/index.js';

const DIR = join(import.meta.dirname, '../../spec-models/pickle');
const FILES = readdirSync(DIR).filter((f) => !f.includes('.expected.')).sort();

type Enc = { t: string; [k: string]: unknown };

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
function f64hex(x: number): string {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, x, false);
  return hex(b);
}
function canon(e: unknown): string {
  return JSON.stringify(e, (_k, v) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort()) : v));
}

/** Encodes our tree exactly as pickle_fixtures.py's Encoder.enc encodes Python's. */
function enc(x: unknown, bin: Uint8Array, storages: Map<string, number>): Enc {
  if (x === null) return { t: 'none' };
  if (typeof x === 'boolean') return { t: 'bool', v: x };
  if (typeof x === 'number') return { t: 'num', v: f64hex(x) };
  if (typeof x === 'bigint') return { t: 'int', v: x.toString() };
  if (typeof x === 'string') return { t: 'str', v: x };
  if (x instanceof Uint8Array) return { t: 'bytes', v: hex(x) };
  if (Array.isArray(x)) return { t: isTuple(x) ? 'tuple' : 'list', v: x.map((v) => enc(v, bin, storages)) };
  if (x instanceof Map) return { t: 'dict', v: [...x].map(([k, v]) => [enc(k, bin, storages), enc(v, bin, storages)]) };
  if (x instanceof Set) {
    return { t: 'set', v: [...x].map((v) => enc(v, bin, storages)).sort((a, b) => (canon(a) < canon(b) ? -1 : 1)) };
  }
  if (x instanceof PyGlobal) return { t: 'global', v: x.qualname };
  if (x instanceof Tensor) {
    const data = x.data as ArrayBufferView;
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const src = tensorSource(x);
    const out: Enc = { t: 'tensor', dtype: src?.dtype ?? x.type, shape: [...x.dims], bytes: hex(bytes) };
    if (src) {
      if (!storages.has(src.storage)) storages.set(src.storage, storages.size);
      Object.assign(out, {
        stride: [...src.stride], offset: src.offset, storage: storages.get(src.storage),
        param: src.parameter, requires_grad: src.requiresGrad,
      });
      if (src.quantization?.scheme === 'per_tensor_affine') Object.assign(out, { scale: f64hex(src.quantization.scale), zero_point: src.quantization.zeroPoint });
    }
    return out;
  }
  throw new Error(`cannot encode ${String(x)}`);
}

/** The expected encoding with tensor bytes resolved from the .bin and torch.device as its string. */
function resolveExpected(e: Enc, bin: Uint8Array): unknown {
  const todo: unknown[] = [e];
  while (todo.length) {
    const n = todo.pop();
    if (Array.isArray(n)) { todo.push(...n); continue; }
    if (!n || typeof n !== 'object') continue;
    const o = n as Enc;
    if (o.t === 'tensor') {
      const [off, len] = o.bin as [number, number];
      o.bytes = hex(bin.subarray(off, off + len));
      delete o.bin;
    } else if (o.t === 'device') o.t = 'str';
    else if (o.t === 'set') (o.v as Enc[]).sort((a, b) => (canon(a) < canon(b) ? -1 : 1));
    if (Array.isArray(o.v)) todo.push(o.v);
  }
  return e;
}

describe('PyTorch and numpy fixtures load bit-exactly', () => {
  it('has the fixtures (run spec-models/pickle_fixtures.py with /usr/bin/python3)', () => {
    expect(FILES.length).toBeGreaterThanOrEqual(18);
  });

  for (const file of FILES) {
    it(file, () => {
      const bytes = new Uint8Array(readFileSync(join(DIR, file)));
      const expected = JSON.parse(readFileSync(join(DIR, `${file}.expected.json`), 'utf8'));
      const bin = new Uint8Array(readFileSync(join(DIR, `${file}.expected.bin`)));
      const tree = torchLoad(bytes);
      const got = enc(tree, bin, new Map());
      expect(canon(got)).toBe(canon(resolveExpected(expected.tree, bin)));
      expect(scanPickle(bytes).verdict).toBe('safe');
    });
  }

  it('detects the three container formats', () => {
    const fmt = (f: string): string => torchLoadWithFormat(new Uint8Array(readFileSync(join(DIR, f)))).format;
    expect(fmt('state_dict.pt')).toBe('zip');
    expect(fmt('views_legacy.pt')).toBe('legacy');
    expect(fmt('numpy_p2.pkl')).toBe('pickle');
  });

  it('reports views that share one storage', () => {
    for (const f of ['views.pt', 'views_legacy.pt']) {
      const sd = stateDict(torchLoad(new Uint8Array(readFileSync(join(DIR, f)))));
      const groups = storageSharing(sd);
      expect(groups).toHaveLength(1); // 'other' views a storage of its own
      expect(groups[0]!.names.sort()).toEqual(
        ['again', 'base', 'col', 'element', 'empty_view', 'expanded', 'narrow', 'row', 'step', 'transposed'],
      );
      expect(sd.get('again')).toBe(sd.get('base'));
      expect(sd.get('element')!.dims).toEqual([]);
      expect(sd.get('empty_view')!.dims).toEqual([0, 6]);
    }
  });

  it('flattens a training checkpoint into named tensors', () => {
    const sd = stateDict(torchLoad(new Uint8Array(readFileSync(join(DIR, 'checkpoint.pt')))));
    expect(sd.has('model.conv.weight')).toBe(true);
    expect(sd.has('optimizer.state.0.exp_avg')).toBe(true);
    expect(sd.has('optimizer.state.0.exp_avg_sq')).toBe(true);
    expect(sd.get('model.fc.weight')!.dims).toEqual([3, 8]);
  });

  it('keeps __proto__ and constructor as ordinary dict keys', () => {
    const tree = torchLoad(new Uint8Array(readFileSync(join(DIR, 'checkpoint.pt')))) as Map<string, Map<string, unknown>>;
    const config = tree.get('config')!;
    const proto = config.get('__proto__') as Map<string, unknown>;
    expect(proto).toBeInstanceOf(Map);
    expect(proto.get('constructor')).toBe('prototype');
    expect(Object.getPrototypeOf(config)).toBe(Map.prototype);
    expect(({} as Record<string, unknown>).constructor).toBe(Object);
  });

  it('loads the digits state dict beside the spec models', () => {
    const sd = stateDict(torchLoad(new Uint8Array(readFileSync(join(DIR, '../digits/digits_cnn_state_dict.pt')))));
    expect(sd.get('conv1.weight')!.dims).toEqual([16, 1, 3, 3]);
    expect(sd.get('fc2.bias')!.type).toBe('float32');
  });
});
