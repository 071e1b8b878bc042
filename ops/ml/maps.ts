// ai.onnx.ml map operators: ZipMap (tensor rows -> sequence of maps) and DictVectorizer
// (map(s) -> tensor). A map value is a JS Map<string | bigint, number> (src/value.ts).

import { type MapLabel, vectorizeMaps, zipRows } from '../../kernels/ml-maps.js';
import { InvalidNodeError } from '../../src/errors.js';
import { Tensor } from '../../src/tensor.js';
import type { Value } from '../../src/value.js';
import { tensorType } from '../infer-helpers.js';
import { type Attrs, type OpDef, op } from '../op-def.js';
import { ML, featureMatrix } from './ml-common.js';

function labelsOf(opName: string, a: Attrs, prefix: string): readonly MapLabel[] {
  if (a.has(`${prefix}_strings`)) return a.strings(`${prefix}_strings`);
  if (a.has(`${prefix}_int64s`)) return a.ints(`${prefix}_int64s`).map(BigInt);
  throw new InvalidNodeError(`${opName}: one of ${prefix}_strings / ${prefix}_int64s is required`);
}

/** ZipMap: X [N, C] float32 -> a sequence of N maps {classlabels[j]: X[n, j]}. */
function runZipMap(x: Tensor | undefined, labels: readonly MapLabel[]): Value {
  const { data, rows, cols } = featureMatrix('ZipMap', x);
  if (cols !== labels.length) {
    throw new InvalidNodeError(`ZipMap: X has ${cols} columns but there are ${labels.length} class labels`);
  }
  return zipRows(data, rows, cols, labels);
}

function isMap(v: unknown): v is ReadonlyMap<unknown, unknown> {
  return v instanceof Map;
}

/** DictVectorizer: a map (or a sequence of maps) -> float32 [N, V] over the vocabulary. */
function runDictVectorizer(input: unknown, vocab: ReadonlyMap<MapLabel, number>): Tensor {
  const maps = isMap(input) ? [input] : Array.isArray(input) && input.every(isMap) ? input : null;
  if (!maps) throw new InvalidNodeError('DictVectorizer: input must be a map or a sequence of maps');
  const out = new Float32Array(maps.length * vocab.size);
  vectorizeMaps(maps, vocab, out);
  return new Tensor('float32', out, [maps.length, vocab.size]);
}

export const mapOps: OpDef[] = [
  op<{ readonly labels: readonly MapLabel[] }>({
    name: 'ZipMap', domain: ML, since: 1, values: true,
    parse: (a) => Object.freeze({ labels: labelsOf('ZipMap', a, 'classlabels') }),
    run: (inputs, a) => [runZipMap(inputs[0], a.labels)],
    // seq(map(string or int64, float)), one map per row.
    infer: (_inputs, a) => [{
      kind: 'sequence',
      elem: { kind: 'map', keyType: typeof a.labels[0] === 'bigint' ? 'int64' : 'string', value: tensorType('float32') },
    }],
  }),
  op<{ readonly vocab: ReadonlyMap<MapLabel, number> }>({
    name: 'DictVectorizer', domain: ML, since: 1, values: true,
    parse: (a) => {
      const words: readonly MapLabel[] = a.has('string_vocabulary') ? a.strings('string_vocabulary')
        : a.has('int64_vocabulary') ? a.ints('int64_vocabulary').map(BigInt) : [];
      if (!words.length) throw new InvalidNodeError('DictVectorizer: string_vocabulary or int64_vocabulary is required');
      return Object.freeze({ vocab: new Map(words.map((w, i) => [w, i] as [MapLabel, number])) });
    },
    run: (inputs, a) => [runDictVectorizer(inputs[0] as unknown, a.vocab)],
    // A single map gives one row; a sequence of maps one row per map (count unknown).
    infer: ([x], a) => [tensorType('float32', [x?.type.kind === 'map' ? 1 : null, a.vocab.size])],
  }),
];
