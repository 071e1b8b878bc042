// TensorScatter (opset 24): present = past_cache with `update` written along `axis` starting at
// write_indices[batch] (0 when absent); mode 'circular' wraps the sequence index.

import { copyWords } from '../../kernels/element-words.js';
import { sizeBetween } from '../../kernels/strides.js';
import { tensorScatter } from '../../kernels/tensor-scatter.js';
import { InvalidNodeError, ShapeError } from '../../src/errors.js';
import type { Tensor } from '../../src/tensor.js';
import { intValues } from '../compute.js';
import { sameAs } from '../infer-helpers.js';
import { type OpDef, op } from '../op-def.js';
import { outputWords, tensorWords } from '../tensor-words.js';
import { checkedAxis, required } from '../op-inputs.js';

interface TensorScatterAttrs {
  readonly axis: number;
  readonly circular: boolean;
}

const dimsText = (d: readonly number[]): string => `[${d.join(', ')}]`;

function runTensorScatter(past: Tensor, update: Tensor, writeIndices: Tensor | undefined, a: TensorScatterAttrs): Tensor {
  const rank = past.dims.length;
  const axis = checkedAxis('TensorScatter', a.axis, rank);
  if (axis === 0) throw new InvalidNodeError('TensorScatter: axis must not be the batch axis 0');
  if (update.type !== past.type) throw new ShapeError(`TensorScatter: update is ${update.type}, past_cache is ${past.type}`);
  const fits = update.dims.length === rank &&
    update.dims.every((d, i) => (i === axis ? d <= past.dims[i]! : d === past.dims[i]));
  if (!fits) {
    throw new ShapeError(
      `TensorScatter: update dims ${dimsText(update.dims)} do not fit past_cache dims ${dimsText(past.dims)} ` +
        `(equal except axis ${axis}, where the update may be shorter)`,
    );
  }
  const batch = past.dims[0]!;
  let starts: number[];
  if (writeIndices) {
    starts = intValues(writeIndices);
    if (starts.length !== batch) {
      throw new ShapeError(`TensorScatter: write_indices has ${starts.length} values for batch size ${batch}`);
    }
  } else {
    starts = new Array<number>(batch).fill(0);
  }
  const { words, width } = tensorWords(past);
  const out = outputWords(past.type, past.dims);
  copyWords(words, 0, out.words, 0, words.length);
  const maxSeq = past.dims[axis]!;
  const seq = update.dims[axis]!;
  const bad = tensorScatter(out.words, tensorWords(update).words, Int32Array.from(starts), {
    batch,
    rows: sizeBetween(past.dims, 1, axis),
    maxSeq,
    seq,
    inner: sizeBetween(past.dims, axis + 1, rank) * width,
    circular: a.circular,
  });
  if (bad >= 0) {
    throw new ShapeError(
      `TensorScatter: write index ${starts[bad]} of batch ${bad} plus ${seq} update positions leaves [0, ${maxSeq}) in linear mode`,
    );
  }
  return out.tensor;
}

export const tensorScatterOps: OpDef[] = [
  op<TensorScatterAttrs>({
    name: 'TensorScatter',
    since: 24,
    parse: (a) => {
      const mode = a.string('mode', 'linear');
      if (mode !== 'linear' && mode !== 'circular') {
        throw new InvalidNodeError(`TensorScatter: unknown mode '${mode}' (expected linear, circular)`);
      }
      return Object.freeze({ axis: a.int('axis', -2), circular: mode === 'circular' });
    },
    infer: sameAs(0),
    run: (inputs, a) => [runTensorScatter(
      required('TensorScatter', inputs[0], 'past_cache'), required('TensorScatter', inputs[1], 'update'), inputs[2], a,
    )],
  }),
];
