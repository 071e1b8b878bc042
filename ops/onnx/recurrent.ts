// RNN, GRU, LSTM: attribute parsing, shape checks and the call into kernels/recurrent.ts.
//
// Versions: the opset 1 / 3 / 7 definitions differ only in attributes that a valid
// model either omits or sets to the default (output_sequence, linear_before_reset),
// so one definition serves 1..13; opset 14 adds `layout` (batch-major tensors).
// Activation alpha/beta lists are consumed in order only by the activations that take
// them (like onnxruntime): Affine, LeakyRelu, ThresholdedRelu, ScaledTanh, HardSigmoid,
// Elu take alpha; Affine, ScaledTanh, HardSigmoid take beta. Missing values take the
// defaults of the corresponding ONNX operator.
// A batch entry with sequence_lens 0 gets zeros in Y, Y_h and Y_c (like onnxruntime).

import {
  type FloatArray, type RecurrentActivation, type RecurrentActivationKind, type RecurrentCell,
  type RecurrentDirection, type RecurrentGeometry, gruSequence, lstmSequence, rnnSequence,
} from '../../kernels/recurrent.js';
import { isFloatType } from '../../src/dtypes.js';
import { InvalidNodeError, ShapeError } from '../../src/errors.js';
import type { Tensor } from '../../src/tensor.js';
import { allocFloat, floatData, floatTensor, intValues } from '../compute.js';
import type { ValueType } from '../../src/ir/graph.js';
import { elemOf, shapeOf, tensorType } from '../infer-helpers.js';
import { type Attrs, type InferInput, type OpContext, type OpDef, op } from '../op-def.js';

type CellKind = 'RNN' | 'GRU' | 'LSTM';

const GATES: Record<CellKind, number> = { RNN: 1, GRU: 3, LSTM: 4 };
const DEFAULT_ACTIVATIONS: Record<CellKind, readonly RecurrentActivationKind[]> = {
  RNN: ['tanh'],
  GRU: ['sigmoid', 'tanh'],
  LSTM: ['sigmoid', 'tanh', 'tanh'],
};

/** [default alpha, default beta] for activations that take them; undefined when unused. */
const ACTIVATION_PARAMS: Record<RecurrentActivationKind, readonly [number | undefined, number | undefined]> = {
  relu: [undefined, undefined],
  tanh: [undefined, undefined],
  sigmoid: [undefined, undefined],
  affine: [1, 0],
  leakyrelu: [0.01, undefined],
  thresholdedrelu: [1, undefined],
  scaledtanh: [1, 1],
  hardsigmoid: [0.2, 0.5],
  elu: [1, undefined],
  softsign: [undefined, undefined],
  softplus: [undefined, undefined],
};

interface RecurrentAttrs {
  readonly hiddenSize: number | undefined;
  readonly direction: RecurrentDirection;
  readonly numDirections: number;
  readonly layout: number;
  readonly cell: RecurrentCell;
}

function parseActivations(kind: CellKind, a: Attrs, numDirections: number): RecurrentActivation[] {
  const perDirection = DEFAULT_ACTIVATIONS[kind].length;
  let names = a.strings('activations', []).map((s) => s.toLowerCase());
  if (names.length === 0) {
    names = [];
    for (let d = 0; d < numDirections; d++) names.push(...DEFAULT_ACTIVATIONS[kind]);
  } else if (names.length === perDirection && numDirections === 2) {
    names = [...names, ...names];
  } else if (names.length !== perDirection * numDirections) {
    throw new InvalidNodeError(
      `${kind}: 'activations' has ${names.length} entries, expected ${perDirection * numDirections} ` +
        `(${perDirection} per direction)`,
    );
  }
  const alphas = a.floats('activation_alpha', []);
  const betas = a.floats('activation_beta', []);
  let ia = 0;
  let ib = 0;
  return names.map((name) => {
    if (!(name in ACTIVATION_PARAMS)) {
      throw new InvalidNodeError(`${kind}: unsupported activation '${name}'`);
    }
    const k = name as RecurrentActivationKind;
    const [da, db] = ACTIVATION_PARAMS[k];
    const alpha = da === undefined ? 0 : ia < alphas.length ? alphas[ia++]! : da;
    const beta = db === undefined ? 0 : ib < betas.length ? betas[ib++]! : db;
    return Object.freeze({ kind: k, alpha, beta });
  });
}

function parseRecurrent(kind: CellKind, withLayout: boolean) {
  return (a: Attrs): RecurrentAttrs => {
    const direction = a.string('direction', 'forward') as RecurrentDirection;
    if (direction !== 'forward' && direction !== 'reverse' && direction !== 'bidirectional') {
      throw new InvalidNodeError(`${kind}: direction '${direction}' is not forward, reverse or bidirectional`);
    }
    const numDirections = direction === 'bidirectional' ? 2 : 1;
    const layout = withLayout ? a.int('layout', 0) : 0;
    if (layout !== 0 && layout !== 1) throw new InvalidNodeError(`${kind}: layout must be 0 or 1, got ${layout}`);
    const clip = a.has('clip') ? a.float('clip') : Infinity;
    if (!(clip > 0)) throw new InvalidNodeError(`${kind}: clip must be positive, got ${clip}`);
    return Object.freeze({
      hiddenSize: a.has('hidden_size') ? a.int('hidden_size') : undefined,
      direction,
      numDirections,
      layout,
      cell: Object.freeze({
        activations: Object.freeze(parseActivations(kind, a, numDirections)),
        clip,
        linearBeforeReset: kind === 'GRU' && a.int('linear_before_reset', 0) !== 0,
        inputForget: kind === 'LSTM' && a.int('input_forget', 0) !== 0,
      }),
    });
  };
}

function expectDims(kind: CellKind, what: string, t: Tensor, want: readonly number[]): void {
  if (t.dims.length !== want.length || t.dims.some((v, i) => v !== want[i])) {
    throw new ShapeError(`${kind}: ${what} has shape [${t.dims.join(', ')}], expected [${want.join(', ')}]`);
  }
}

function floatInput(kind: CellKind, what: string, t: Tensor | undefined, type: string): Tensor | undefined {
  if (t && t.type !== type) throw new ShapeError(`${kind}: ${what} is ${t.type}, expected ${type} like X`);
  return t;
}

function runRecurrent(kind: CellKind) {
  return (inputs: readonly (Tensor | undefined)[], attrs: RecurrentAttrs, ctx: OpContext) => {
    const [x, w, r] = inputs;
    if (!x || !w || !r) throw new ShapeError(`${kind}: inputs X, W and R are required`);
    if (!isFloatType(x.type)) throw new ShapeError(`${kind}: X must be a float tensor, got ${x.type}`);
    const b = floatInput(kind, 'B', inputs[3], x.type);
    const seqLensT = inputs[4];
    const initH = floatInput(kind, 'initial_h', inputs[5], x.type);
    const initC = kind === 'LSTM' ? floatInput(kind, 'initial_c', inputs[6], x.type) : undefined;
    const p = kind === 'LSTM' ? floatInput(kind, 'P', inputs[7], x.type) : undefined;
    floatInput(kind, 'W', w, x.type);
    floatInput(kind, 'R', r, x.type);

    if (x.dims.length !== 3) throw new ShapeError(`${kind}: X must be rank 3, got [${x.dims.join(', ')}]`);
    const { layout, numDirections: nd } = attrs;
    const seqLength = layout === 0 ? x.dims[0]! : x.dims[1]!;
    const batch = layout === 0 ? x.dims[1]! : x.dims[0]!;
    const inputSize = x.dims[2]!;
    if (r.dims.length !== 3) throw new ShapeError(`${kind}: R must be rank 3, got [${r.dims.join(', ')}]`);
    const hidden = attrs.hiddenSize ?? r.dims[2]!;
    const gh = GATES[kind] * hidden;
    expectDims(kind, 'W', w, [nd, gh, inputSize]);
    expectDims(kind, 'R', r, [nd, gh, hidden]);
    if (b) expectDims(kind, 'B', b, [nd, 2 * gh]);
    const stateDims = layout === 0 ? [nd, batch, hidden] : [batch, nd, hidden];
    if (initH) expectDims(kind, 'initial_h', initH, stateDims);
    if (initC) expectDims(kind, 'initial_c', initC, stateDims);
    if (p) expectDims(kind, 'P', p, [nd, 3 * hidden]);
    let seqLens: Int32Array | null = null;
    if (seqLensT) {
      expectDims(kind, 'sequence_lens', seqLensT, [batch]);
      seqLens = Int32Array.from(intValues(seqLensT));
      for (let i = 0; i < batch; i++) {
        const len = seqLens[i]!;
        if (len < 0 || len > seqLength) {
          throw new ShapeError(`${kind}: sequence_lens[${i}] = ${len} out of range [0, ${seqLength}]`);
        }
      }
    }

    const g: RecurrentGeometry = { seqLength, batch, inputSize, hidden, direction: attrs.direction, layout };
    const wanted = (i: number) => (ctx.node.outputs[i] ?? '') !== '';
    const yDims = layout === 0 ? [seqLength, nd, batch, hidden] : [batch, seqLength, nd, hidden];
    const stateSize = nd * batch * hidden;
    const y = wanted(0) ? allocFloat(x.type, seqLength * stateSize) : null;
    const yH = allocFloat(x.type, stateSize);
    const yC = kind === 'LSTM' ? allocFloat(x.type, stateSize) : null;
    const opt = (t: Tensor | undefined): FloatArray | null => (t ? floatData(t) : null);
    const data = {
      x: floatData(x), w: floatData(w), r: floatData(r), b: opt(b), seqLens,
      initialH: opt(initH), initialC: opt(initC), p: opt(p),
    };
    const outs = { y, yH, yC };
    if (kind === 'RNN') rnnSequence(g, data, outs, attrs.cell);
    else if (kind === 'GRU') gruSequence(g, data, outs, attrs.cell);
    else lstmSequence(g, data, outs, attrs.cell);

    // When the node has no Y output the runtime never reads slot 0: an empty placeholder fills it.
    const results: Tensor[] = [
      y ? floatTensor(x.type, y, yDims) : floatTensor(x.type, allocFloat(x.type, 0), [0]),
      floatTensor(x.type, yH, stateDims),
    ];
    if (yC) results.push(floatTensor(x.type, yC, stateDims));
    return results;
  };
}

/** Y [seq, dirs, batch, hidden] (layout 0) and the final states [dirs, batch, hidden]. */
function inferRecurrent(inputs: readonly (InferInput | undefined)[], attrs: RecurrentAttrs): ValueType[] {
  const [xs, rs] = [shapeOf(inputs[0]), shapeOf(inputs[2])];
  const t = elemOf(inputs[0]);
  const hidden = attrs.hiddenSize ?? rs?.[2] ?? null;
  const nd = attrs.numDirections;
  const [seq, batch] = xs ? (attrs.layout === 0 ? [xs[0]!, xs[1]!] : [xs[1]!, xs[0]!]) : [null, null];
  const y = attrs.layout === 0 ? [seq, nd, batch, hidden] : [batch, seq, nd, hidden];
  const state = attrs.layout === 0 ? [nd, batch, hidden] : [batch, nd, hidden];
  return [tensorType(t, y), tensorType(t, state), tensorType(t, state)];
}

function define(kind: CellKind): OpDef[] {
  return [
    op({ name: kind, since: 1, parse: parseRecurrent(kind, false), infer: inferRecurrent, run: runRecurrent(kind) }),
    op({ name: kind, since: 14, parse: parseRecurrent(kind, true), infer: inferRecurrent, run: runRecurrent(kind) }),
  ];
}

export const recurrentOps: OpDef[] = [...define('RNN'), ...define('GRU'), ...define('LSTM')];
