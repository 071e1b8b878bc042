// The seed files the fuzzer mutates, with the inputs each is run on: committed spec models
// (digits in all three formats, the small ONNX and TorchScript models, the pickles), the hostile
// pickle corpus, and two tiny ONNX models written here whose constants decide a loop's trip count
// and output sizes (so structure-aware mutation reaches Loop, Range, Tile and ConstantOfShape).

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TsValue } from '../../ops/aten/aten-op.js';
import { parseNpy } from '../../src/formats/npy/npy.js';
import { Tensor } from '../../src/tensor.js';
import { writeModel } from '../helpers/onnx-writer.js';
import { HOSTILE } from '../pickle/hostile/corpus.js';
import { loadManifests } from '../torchscript/manifest.js';
import type { Format } from './mutate.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface Seed {
  /** Stable id, e.g. 'digits/digits_cnn_opset17.onnx' or 'hostile/memo bomb'. */
  readonly name: string;
  readonly format: Format;
  readonly bytes: Uint8Array;
  /** ONNX: reference feeds by input name (inputs not listed get small random tensors). */
  readonly feeds?: ReadonlyMap<string, Tensor>;
  /** TorchScript: the method to call and its reference argument lists. */
  readonly method?: string;
  readonly cases?: readonly (readonly TsValue[])[];
}

const read = (rel: string): Uint8Array => new Uint8Array(readFileSync(join(ROOT, rel)));
const npy = (rel: string): Tensor => parseNpy(read(rel), rel);

/** The first `n` rows of a batch tensor. */
function rows(t: Tensor, n: number): Tensor {
  const per = t.dims.slice(1).reduce((a, b) => a * b, 1);
  return new Tensor(t.type, (t.data as Float32Array).slice(0, n * per), [n, ...t.dims.slice(1)]);
}

function onnxSeeds(include: (name: string) => boolean): Seed[] {
  const image = rows(npy('spec-models/digits/test_images.npy'), 2);
  const seeds: Seed[] = [];
  for (const v of [13, 17]) {
    seeds.push({ name: `digits/digits_cnn_opset${v}.onnx`, format: 'onnx', bytes: read(`spec-models/digits/digits_cnn_opset${v}.onnx`), feeds: new Map([['image', image]]) });
    seeds.push({ name: `onnx/lstm_opset${v}.onnx`, format: 'onnx', bytes: read(`spec-models/onnx/lstm_opset${v}.onnx`), feeds: new Map([['features', npy('spec-models/onnx/lstm.features.npy')]]) });
    seeds.push({ name: `onnx/gpt_decoder_opset${v}.onnx`, format: 'onnx', bytes: read(`spec-models/onnx/gpt_decoder_opset${v}.onnx`), feeds: new Map([['tokens', npy('spec-models/onnx/gpt_decoder.tokens.npy')]]) });
  }
  const i64 = (xs: number[], name: string, dims = [xs.length]) => ({ name, dataType: 7, dims, int64s: xs.map(BigInt) });
  seeds.push({
    name: 'synthetic/loop.onnx', format: 'onnx', feeds: new Map([['x', new Tensor('float32', Float32Array.of(1, 2, 3), [3])]]),
    bytes: writeModel({
      opsets: [['', 17]],
      graph: {
        nodes: [{
          op: 'Loop', inputs: ['M', 'cond', 'x'], outputs: ['y', 'scan'], name: 'loop',
          attrs: [{
            name: 'body', g: {
              nodes: [
                { op: 'Add', inputs: ['v', 'one'], outputs: ['v2'], name: 'add' },
                { op: 'Identity', inputs: ['c'], outputs: ['c2'], name: 'keep' },
                { op: 'Identity', inputs: ['v2'], outputs: ['s'], name: 'emit' },
              ],
              inputs: [{ name: 'i', elemType: 7, shape: [] }, { name: 'c', elemType: 9, shape: [] }, { name: 'v', elemType: 1, shape: [3] }],
              outputs: [{ name: 'c2', elemType: 9, shape: [] }, { name: 'v2', elemType: 1, shape: [3] }, { name: 's', elemType: 1, shape: [3] }],
              initializers: [{ name: 'one', dataType: 1, dims: [1], floats: [1] }],
            },
          }],
        }],
        inputs: [{ name: 'x', elemType: 1, shape: [3] }],
        outputs: [{ name: 'y', elemType: 1, shape: [3] }, { name: 'scan', elemType: 1, shape: ['T', 3] }],
        initializers: [i64([5], 'M', []), { name: 'cond', dataType: 9, dims: [], int32s: [1] }],
      },
    }),
  });
  seeds.push({
    name: 'synthetic/sizes.onnx', format: 'onnx', feeds: new Map([['x', new Tensor('float32', Float32Array.of(1, 2, 3, 4, 5, 6), [2, 3])]]),
    bytes: writeModel({
      opsets: [['', 17]],
      graph: {
        nodes: [
          { op: 'Reshape', inputs: ['x', 'shape'], outputs: ['r'], name: 'reshape' },
          { op: 'Tile', inputs: ['r', 'reps'], outputs: ['t'], name: 'tile' },
          { op: 'ConstantOfShape', inputs: ['cshape'], outputs: ['c'], name: 'const', attrs: [{ name: 'value', t: { dataType: 1, dims: [1], floats: [2] } }] },
          { op: 'Range', inputs: ['start', 'limit', 'delta'], outputs: ['rng'], name: 'range' },
          { op: 'Expand', inputs: ['x', 'eshape'], outputs: ['e'], name: 'expand' },
        ],
        inputs: [{ name: 'x', elemType: 1, shape: [2, 3] }],
        outputs: [{ name: 't', elemType: 1 }, { name: 'c', elemType: 1 }, { name: 'rng', elemType: 7 }, { name: 'e', elemType: 1 }],
        initializers: [
          i64([3, 2], 'shape'), i64([2, 1], 'reps'), i64([2, 3], 'cshape'), i64([0], 'start', []), i64([10], 'limit', []),
          i64([1], 'delta', []), i64([4, 2, 3], 'eshape'),
        ],
      },
    }),
  });
  return seeds.filter((x) => include(x.name));
}

function torchScriptSeeds(include: (name: string) => boolean): Seed[] {
  const image = rows(npy('spec-models/digits/test_images.npy'), 2);
  const seeds: Seed[] = ['script', 'trace'].filter((k) => include(`digits/digits_cnn_${k}.pt`)).map((k) => ({
    name: `digits/digits_cnn_${k}.pt`, format: 'torchscript' as const, bytes: read(`spec-models/digits/digits_cnn_${k}.pt`),
    method: 'forward', cases: [[image]],
  }));
  // Manifests are decoded (reference tensors read) only for the seeds kept.
  for (const m of loadManifests((n) => include(`torchscript/${n}.pt`))) {
    if (!m.present || m.file.includes('/')) continue; // large/ models are not in a clean clone
    const bytes = new Uint8Array(readFileSync(m.path));
    seeds.push({ name: `torchscript/${m.file}`, format: 'torchscript', bytes, method: m.method, cases: m.cases.slice(0, 2).map((c) => c.inputs) });
  }
  return seeds;
}

function pickleSeeds(include: (name: string) => boolean): Seed[] {
  const files = [
    'big_endian.pt', 'checkpoint.pt', 'dtypes.pt', 'dtypes_legacy.pt', 'numpy_p0.pkl', 'numpy_p2.pkl', 'numpy_p4.pkl', 'numpy_p5.pkl',
    'plain_p0.pkl', 'plain_p1.pkl', 'plain_p3.pkl', 'quantized.pt', 'state_dict.pt', 'state_dict_legacy_p4.pt', 'state_dict_p4.pt',
    'state_dict_p5.pt', 'views.pt', 'views_legacy.pt',
  ].filter((f) => include(`pickle/${f}`) && existsSync(join(ROOT, 'spec-models/pickle', f)));
  const seeds: Seed[] = files.map((f) => ({ name: `pickle/${f}`, format: 'pickle' as const, bytes: read(`spec-models/pickle/${f}`) }));
  if (include('digits/digits_cnn_state_dict.pt')) seeds.push({ name: 'digits/digits_cnn_state_dict.pt', format: 'pickle', bytes: read('spec-models/digits/digits_cnn_state_dict.pt') });
  for (const h of HOSTILE) if (include(`hostile/${h.name}`)) seeds.push({ name: `hostile/${h.name}`, format: 'pickle', bytes: h.bytes() });
  return seeds;
}

export interface CorpusOptions {
  /** Load only the seeds whose name passes (the in-process test loads a handful). */
  readonly include?: (name: string) => boolean;
}

let cached: Seed[] | undefined;

/**
 * A plain Uint8Array copy of a Node Buffer (protobufjs's Writer and the pickle writer return
 * Buffers, whose slice() is a view: mutating a "copy" would change the seed itself).
 */
function plain(s: Seed): Seed {
  return Object.getPrototypeOf(s.bytes) === Uint8Array.prototype ? s : { ...s, bytes: new Uint8Array(s.bytes) };
}

/** Every seed (or those `include` keeps), in a stable order. */
export function loadCorpus(options: CorpusOptions = {}): Seed[] {
  const include = options.include ?? (() => true);
  const seeds = (): Seed[] => [...onnxSeeds(include), ...torchScriptSeeds(include), ...pickleSeeds(include)].map(plain);
  return options.include ? seeds() : (cached ??= seeds());
}

export function seedByName(name: string): Seed {
  const s = loadCorpus().find((x) => x.name === name);
  if (!s) throw new Error(`fuzz corpus: no seed named '${name}'`);
  return s;
}
