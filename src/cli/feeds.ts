// The inputs of `run`, `trace` and `compare`: --input NAME=FILE.npy|FILE.pb, or deterministic
// random tensors of the declared types and shapes for the inputs not given.

import { DATA_TYPES, type DataType, isDataType } from '../dtypes.js';
import { decodeTensorProto } from '../formats/onnx/load.js';
import { parseNpy } from '../formats/npy/npy.js';
import type { InferenceSession } from '../api/session.js';
import { readRegularFile } from '../node.js';
import type { ResourceLimits } from '../limits.js';
import { Tensor } from '../tensor.js';
import { UsageError } from './io.js';

/** Reads `--input NAME=FILE` at args[i + 1] into `inputs`; returns the index consumed. */
export function takeInputFlag(args: readonly string[], i: number, inputs: Map<string, string>): number {
  const v = args[i + 1];
  const eq = v?.indexOf('=') ?? -1;
  if (!v || eq <= 0) throw new UsageError(`--input needs NAME=FILE.npy|FILE.pb, got '${v ?? ''}'`);
  inputs.set(v.slice(0, eq), v.slice(eq + 1));
  return i + 1;
}

/** xorshift32: deterministic pseudo-random inputs for models run without --input. */
export function randomTensor(type: DataType | undefined, dims: number[], seed: number): Tensor {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
  const t = type ?? 'float32';
  const n = dims.reduce((a, b) => a * b, 1);
  if (t === 'float32' || t === 'float64') {
    const data = t === 'float32' ? new Float32Array(n) : new Float64Array(n);
    for (let i = 0; i < n; i++) data[i] = next() * 2 - 1;
    return new Tensor(t, data, dims);
  }
  if (t === 'bool') return new Tensor('bool', Uint8Array.from({ length: n }, () => (next() < 0.5 ? 0 : 1)), dims);
  if (t === 'int64') return new Tensor('int64', BigInt64Array.from({ length: n }, () => BigInt(Math.floor(next() * 10))), dims);
  if (t === 'string') return new Tensor('string', Array.from({ length: n }, () => 'x'), dims);
  const z = Tensor.zeros(t, dims);
  const d = z.data as Uint8Array;
  if (DATA_TYPES[t].array === Float32Array || t === 'float16' || t === 'bfloat16') return z;
  for (let i = 0; i < d.length; i++) d[i] = Math.floor(next() * 10);
  return z;
}

/** A tensor file named on the command line: .npy, else a serialized TensorProto (.pb). */
export async function readTensorFile(path: string, limits?: Partial<ResourceLimits>): Promise<Tensor> {
  const bytes = await readRegularFile(path, limits);
  return path.endsWith('.npy') ? parseNpy(bytes, path) : decodeTensorProto(bytes, path);
}

/**
 * The session's feeds: the files given by name, random tensors for the rest (`note` hears
 * 'input NAME: random float32[1, 3]' for each). Names that are not inputs are a UsageError.
 */
export async function buildFeeds(
  session: InferenceSession, inputs: ReadonlyMap<string, string>, note: (line: string) => void,
  limits?: Partial<ResourceLimits>, given: Map<string, Tensor> = new Map(),
): Promise<Record<string, Tensor>> {
  for (const k of inputs.keys()) {
    if (!session.inputNames.includes(k)) throw new UsageError(`'${k}' is not an input of the model (inputs: ${session.inputNames.join(', ')})`);
  }
  const feeds: Record<string, Tensor> = {};
  let seed = 1;
  for (const meta of session.inputMetadata) {
    const path = inputs.get(meta.name);
    const ready = given.get(meta.name);
    if (ready) feeds[meta.name] = ready;
    else if (path) feeds[meta.name] = await readTensorFile(path, limits);
    else {
      if (!meta.isTensor || !isDataType(meta.type) || !meta.shape) {
        throw new UsageError(`input '${meta.name}' declares no tensor type and shape (${meta.type ?? 'unknown'}): give it with --input ${meta.name}=FILE.npy`);
      }
      const dims = meta.shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1));
      feeds[meta.name] = randomTensor(meta.type as DataType | undefined, dims, seed++);
      note(`input ${meta.name}: random ${meta.type}[${dims.join(', ')}]`);
    }
  }
  return feeds;
}
