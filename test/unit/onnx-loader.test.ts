import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { loadOnnxModel } from '../../src/formats/onnx/load.js';
import { ModelFormatError, TesseraError } from '../../src/errors.js';
import { type ModelSpec, type TensorSpec, f32raw, writeModel } from '../helpers/onnx-writer.js';

const FLOAT = 1, INT64 = 7, STRING = 8, DOUBLE = 11, UINT64 = 13, INT4 = 22, INT32 = 6, FLOAT16 = 10;

function modelWith(inits: TensorSpec[]): ModelSpec {
  return {
    graph: {
      nodes: [],
      inputs: [],
      outputs: inits.map((t) => ({ name: t.name!, elemType: t.dataType })),
      initializers: inits,
    },
  };
}

describe('ONNX loader: initializer encodings', () => {
  it('reads raw_data, typed fields (packed and unpacked), strings, int4 and uint64', async () => {
    const bytes = writeModel(modelWith([
      { name: 'raw', dataType: FLOAT, dims: [2, 2], raw: f32raw([1, -2, 3.5, Infinity]) },
      { name: 'packed', dataType: FLOAT, dims: [3], floats: [0.5, -0.25, 8] },
      { name: 'unpacked', dataType: FLOAT, dims: [3], floats: [1, 2, 3], packed: false },
      { name: 'i64', dataType: INT64, dims: [2], int64s: [-(2n ** 62n), 9007199254740993n] },
      { name: 'f64', dataType: DOUBLE, dims: [1], doubles: [Math.PI] },
      { name: 'u64', dataType: UINT64, dims: [2], uint64s: [0n, 7n] },
      { name: 's', dataType: STRING, dims: [2], strings: ['héllo', ''] },
      { name: 'i4', dataType: INT4, dims: [3], raw: new Uint8Array([0x7f, 0x08]) },
      { name: 'h', dataType: FLOAT16, dims: [1], int32s: [0x3c00] },
      { name: 'scalar', dataType: INT32, dims: [], int32s: [-5] },
    ]));
    const m = await loadOnnxModel(bytes);
    const get = (n: string) => m.graph.initializers.get(n)!;
    expect(Array.from(get('raw').data as Float32Array)).toEqual([1, -2, 3.5, Infinity]);
    expect(get('raw').dims).toEqual([2, 2]);
    expect(Array.from(get('packed').data as Float32Array)).toEqual([0.5, -0.25, 8]);
    expect(Array.from(get('unpacked').data as Float32Array)).toEqual([1, 2, 3]);
    expect(Array.from(get('i64').data as BigInt64Array)).toEqual([-(2n ** 62n), 9007199254740993n]);
    expect((get('f64').data as Float64Array)[0]).toBe(Math.PI);
    expect(Array.from(get('u64').data as BigUint64Array)).toEqual([0n, 7n]);
    expect(get('s').data).toEqual(['héllo', '']);
    expect(Array.from(get('i4').data as Int8Array)).toEqual([-1, 7, -8]);
    expect(Array.from(get('h').data as Uint16Array)).toEqual([0x3c00]);
    expect(get('scalar').dims).toEqual([]);
    expect(Array.from(get('scalar').data as Int32Array)).toEqual([-5]);
  });

  it('accepts unpacked dims', async () => {
    const m = await loadOnnxModel(writeModel(modelWith([
      { name: 'x', dataType: FLOAT, dims: [1, 3], raw: f32raw([1, 2, 3]), packed: false },
    ])));
    expect(m.graph.initializers.get('x')!.dims).toEqual([1, 3]);
  });

  it('densifies sparse initializers (linear and coordinate indices)', async () => {
    const spec = modelWith([]);
    spec.graph.outputs = [{ name: 'sp', elemType: FLOAT }, { name: 'sp2', elemType: FLOAT }];
    spec.graph.sparse = [
      { values: { name: 'sp', dataType: FLOAT, dims: [2], floats: [5, 6] }, indices: { dataType: INT64, dims: [2], int64s: [1n, 5n] }, dims: [2, 3] },
      { values: { name: 'sp2', dataType: FLOAT, dims: [1], floats: [9] }, indices: { dataType: INT64, dims: [1, 2], int64s: [1n, 0n] }, dims: [2, 2] },
    ];
    const m = await loadOnnxModel(writeModel(spec));
    expect(m.graph.sparseInitializers.get('sp')!.dims).toEqual([2, 3]);
    const { densify } = await import('../../src/formats/onnx/tensor-proto.js');
    expect(Array.from(densify(m.graph.sparseInitializers.get('sp')!, 'x').data as Float32Array)).toEqual([0, 5, 0, 0, 0, 6]);
    expect(Array.from(densify(m.graph.sparseInitializers.get('sp2')!, 'x').data as Float32Array)).toEqual([0, 0, 9, 0]);
  });

  it('resolves external data through the resolver, with offsets', async () => {
    const file = new Uint8Array(16);
    file.set(f32raw([7, 8]), 8);
    const bytes = writeModel(modelWith([
      { name: 'w', dataType: FLOAT, dims: [2], external: { location: 'weights.bin', offset: 8, length: 8 } },
    ]));
    const asked: string[] = [];
    const m = await loadOnnxModel(bytes, { externalData: (loc) => { asked.push(loc); return file; } });
    expect(asked).toEqual(['weights.bin']);
    expect(Array.from(m.graph.initializers.get('w')!.data as Float32Array)).toEqual([7, 8]);
    await expect(loadOnnxModel(bytes)).rejects.toThrow(/external file 'weights.bin'/);
    const outside = writeModel(modelWith([{ name: 'w', dataType: FLOAT, dims: [2], external: { location: 'weights.bin', offset: 12, length: 8 } }]));
    await expect(loadOnnxModel(outside, { externalData: () => file })).rejects.toThrow(/outside 'weights.bin'/);
  });

  it('refuses external locations that escape the model folder', async () => {
    for (const location of ['../secret.bin', '/etc/passwd', 'a/../../b', 'C:\\x']) {
      const bytes = writeModel(modelWith([{ name: 'w', dataType: FLOAT, dims: [1], external: { location } }]));
      await expect(loadOnnxModel(bytes, { externalData: () => new Uint8Array(4) })).rejects.toBeInstanceOf(ModelFormatError);
    }
  });
});

describe('ONNX loader: broken files', () => {
  it('names the tensor whose data is shorter than its dims', async () => {
    const bytes = writeModel(modelWith([{ name: 'big', dataType: FLOAT, dims: [1000, 1000], raw: f32raw([1, 2]) }]));
    await expect(loadOnnxModel(bytes)).rejects.toThrow(/tensor 'big'.*needs 4000000 bytes of data but has 8/);
  });

  it('rejects empty files, text and zip files with ModelFormatError', async () => {
    await expect(loadOnnxModel(new Uint8Array(0))).rejects.toBeInstanceOf(ModelFormatError);
    await expect(loadOnnxModel(new TextEncoder().encode('hello, this is not a model'))).rejects.toBeInstanceOf(ModelFormatError);
    await expect(loadOnnxModel(new Uint8Array([0x50, 0x4b, 0x03, 0x04, 1, 2, 3, 4]))).rejects.toBeInstanceOf(ModelFormatError);
  });

  it('a model truncated at any offset fails with a typed error', async () => {
    const bytes = writeModel({
      graph: {
        nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'], attrs: [{ name: 'alpha', f: 0.5 }, { name: 'ks', ints: [1, 2] }] }],
        inputs: [{ name: 'x', elemType: FLOAT, shape: ['N', 3] }],
        outputs: [{ name: 'y', elemType: FLOAT, shape: ['N', 3] }],
        initializers: [{ name: 'w', dataType: FLOAT, dims: [4], raw: f32raw([1, 2, 3, 4]) }],
      },
    });
    await loadOnnxModel(bytes); // the whole file loads
    for (let cut = 0; cut < bytes.length; cut++) {
      const r = await loadOnnxModel(bytes.subarray(0, cut)).then(() => null, (e: unknown) => e);
      // A cut at a field boundary can still be a valid (smaller) message; otherwise a typed error.
      if (r !== null) expect(r).toBeInstanceOf(TesseraError);
    }
  });

  it('random bytes never produce an untyped exception', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (b) => {
      const r = await loadOnnxModel(b).then(() => null, (e: unknown) => e);
      if (r !== null) expect(r).toBeInstanceOf(TesseraError);
    }), { numRuns: 300 });
  });

  it('mutated valid models never produce an untyped exception', async () => {
    const base = writeModel(modelWith([{ name: 'w', dataType: FLOAT, dims: [2, 2], raw: f32raw([1, 2, 3, 4]) }]));
    await fc.assert(fc.asyncProperty(fc.nat(base.length - 1), fc.nat(255), async (pos, val) => {
      const b = base.slice();
      b[pos] = val;
      const r = await loadOnnxModel(b).then(() => null, (e: unknown) => e);
      if (r !== null) expect(r).toBeInstanceOf(TesseraError);
    }), { numRuns: 300 });
  });
});

describe('ONNX loader: graph structure', () => {
  it('reads opsets, metadata, value types, attributes and subgraphs', async () => {
    const bytes = writeModel({
      irVersion: 10,
      opsets: [['', 13], ['com.example', 2]],
      producer: 'unit',
      metadata: [['author', 'me']],
      graph: {
        nodes: [{
          op: 'If', inputs: ['c'], outputs: ['y'], name: 'branch',
          attrs: [
            { name: 'then_branch', g: { nodes: [], inputs: [], outputs: [{ name: 'x', elemType: FLOAT }] } },
            { name: 'else_branch', g: { nodes: [], inputs: [], outputs: [{ name: 'x', elemType: FLOAT }] } },
            { name: 'tag', s: 'hi' }, { name: 'scale', f: 1.5 }, { name: 'axes', ints: [-1, 2] },
          ],
        }],
        inputs: [{ name: 'c', elemType: 9, shape: [] }, { name: 'x', elemType: FLOAT, shape: ['N', 4] }],
        outputs: [{ name: 'y', elemType: FLOAT }],
      },
    });
    const m = await loadOnnxModel(bytes);
    expect(m.irVersion).toBe(10);
    expect([...m.opsetImports]).toEqual([['', 13], ['com.example', 2]]);
    expect(m.metadata.get('author')).toBe('me');
    expect(m.graph.inputs[1]!.type).toEqual({ kind: 'tensor', elemType: 'float32', shape: ['N', 4] });
    const node = m.graph.nodes[0]!;
    expect(node.attributes.get('tag')).toMatchObject({ type: 'string', value: 'hi' });
    expect(node.attributes.get('scale')).toMatchObject({ type: 'float', value: 1.5 });
    expect(node.attributes.get('axes')).toMatchObject({ type: 'ints', value: [-1, 2] });
    expect(node.attributes.get('then_branch')!.type).toBe('graph');
  });
});
