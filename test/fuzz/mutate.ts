// Mutation of model files for fuzzing. A case is a seed file plus a list of step seeds; each step
// is one mutation chosen and driven by its own seeded generator, so a case replays exactly from
// (file, steps) and shrinks by dropping steps. Strategies per format:
//   onnx        structure-aware edits (mutate-onnx.ts), protobuf varint surgery, raw bytes
//   torchscript member edits re-zipped with valid CRCs (mutate-zip.ts: source text, pickles), raw bytes
//   pickle      opcode-aware edits (mutate-pickle.ts) or member edits for zips, raw bytes

import { mutateBytes, mutateVarint } from './mutate-bytes.js';
import { mutateOnnx } from './mutate-onnx.js';
import { mutatePickle } from './mutate-pickle.js';
import { mutateZip } from './mutate-zip.js';
import { Rng } from './rng.js';

export type Format = 'onnx' | 'torchscript' | 'pickle';

export interface MutationResult {
  readonly bytes: Uint8Array;
  /** One line per step saying what it changed. */
  readonly steps: readonly string[];
}

const isZip = (b: Uint8Array): boolean => b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04;

type Strategy = 'structure' | 'varint' | 'bytes' | 'zip' | 'pickle';

function strategyFor(format: Format, zip: boolean, rng: Rng): Strategy {
  if (format === 'onnx') return rng.weighted<Strategy>([[5, 'structure'], [2, 'varint'], [3, 'bytes']]);
  if (zip) return rng.weighted<Strategy>([[format === 'torchscript' ? 9 : 8, 'zip'], [1, 'bytes']]);
  return rng.weighted<Strategy>([[6, 'pickle'], [4, 'bytes']]);
}

/** A step may grow the input by this much; larger results are replaced by a byte mutation. */
const MAX_GROWTH = 1 << 20;

/** One mutation step of `bytes`, driven by `seed`. */
export function mutateStep(bytes: Uint8Array, format: Format, seed: number): { bytes: Uint8Array; what: string } {
  const m = chooseAndMutate(bytes, format, seed);
  return m.bytes.length <= bytes.length + MAX_GROWTH ? m : mutateBytes(bytes, new Rng(seed ^ 0x9e3779b9));
}

function chooseAndMutate(bytes: Uint8Array, format: Format, seed: number): { bytes: Uint8Array; what: string } {
  const rng = new Rng(seed);
  const strategy = strategyFor(format, isZip(bytes), rng);
  switch (strategy) {
    case 'structure': {
      const m = mutateOnnx(bytes, rng);
      if (m) return m;
      break;
    }
    case 'zip': {
      const m = mutateZip(bytes, rng);
      if (m) return m;
      break;
    }
    case 'varint': return mutateVarint(bytes, rng);
    case 'pickle': return mutatePickle(bytes, rng);
    case 'bytes': break;
  }
  return mutateBytes(bytes, rng);
}

/** Applies one step per seed, in order. */
export function mutate(base: Uint8Array, format: Format, stepSeeds: readonly number[]): MutationResult {
  // A Buffer's slice() is a view; the mutators copy with slice(), so they must see a plain Uint8Array.
  let bytes = Object.getPrototypeOf(base) === Uint8Array.prototype ? base : new Uint8Array(base);
  const steps: string[] = [];
  for (const seed of stepSeeds) {
    const m = mutateStep(bytes, format, seed);
    bytes = m.bytes;
    steps.push(m.what);
  }
  return { bytes, steps };
}

export { Rng };
export { mutateBytes, mutateVarint } from './mutate-bytes.js';
export { mutateOnnx, encodeMessage } from './mutate-onnx.js';
export { mutatePickle } from './mutate-pickle.js';
export { mutateScript, mutateZip } from './mutate-zip.js';
