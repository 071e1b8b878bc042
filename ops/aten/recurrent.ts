// aten::lstm / aten::gru / aten::rnn_tanh / aten::rnn_relu (the flattened-weights forms
// nn.LSTM / nn.GRU / nn.RNN call) and the single-step cells; an LSTM with proj_size runs step
// by step (runProjectedLstm). Each layer runs as one ONNX
// LSTM / GRU / RNN op after reordering PyTorch's gate blocks (LSTM i,f,g,o -> ONNX i,o,f,c;
// GRU r,z,n -> ONNX z,r,h with linear_before_reset, which is PyTorch's formulation). The
// reordered, stacked weights and the ONNX op are prepared once per parameter list and reused
// while every parameter is the same tensor at the same storage version (see prepared.ts).

import { InvalidNodeError, ShapeError } from '../../src/errors.js';
import { Tensor } from '../../src/tensor.js';
import { TsTuple, type AtenOp, type TsValue } from './aten-op.js';
import { boolArg, floatArg, intArg, optTensor, tensorArg, tensorList } from './args.js';
import { aten, shapeTensor } from './define.js';
import { OnnxOp, onnx1 } from './onnx-bridge.js';
import { linear } from './nn.js';
import { cat, permuted } from './shape.js';
import { storageVersion } from './versions.js';

type Kind = 'LSTM' | 'GRU' | 'RNN_TANH' | 'RNN_RELU';
const GATES: Record<Kind, number[]> = { LSTM: [0, 3, 1, 2], GRU: [1, 0, 2], RNN_TANH: [0], RNN_RELU: [0] };

function rows(t: Tensor, from: number, to: number): Tensor {
  return onnx1('Slice', [t, shapeTensor([from]), shapeTensor([to]), shapeTensor([0])]);
}

/** Rows [from, to) of a float state tensor [rows, ...] (a copy). */
function stateRows(t: Tensor, from: number, to: number): Tensor {
  const inner = t.size / Math.max(t.dims[0]!, 1);
  return new Tensor(t.type, (t.data as Float32Array).slice(from * inner, to * inner), [to - from, ...t.dims.slice(1)]);
}

function reorder(t: Tensor, kind: Kind, hidden: number): Tensor {
  const order = GATES[kind];
  if (order.length === 1) return t;
  return onnx1('Concat', order.map((g) => rows(t, g * hidden, (g + 1) * hidden)), { axis: 0 });
}

interface RnnArgs {
  readonly hasBiases: boolean;
  readonly layers: number;
  readonly dropout: number;
  readonly train: boolean;
  readonly bidirectional: boolean;
  readonly batchFirst: boolean;
}

/** One layer's ONNX inputs W, R, B (B undefined without biases). */
interface LayerWeights {
  readonly w: Tensor;
  readonly r: Tensor;
  readonly b: Tensor | undefined;
}

/** What runRnn derives from the parameters alone, kept while they are unchanged. */
interface PreparedRnn {
  readonly kind: Kind;
  readonly hidden: number;
  readonly dirs: number;
  readonly params: readonly Tensor[];
  readonly versions: readonly number[];
  readonly layers: readonly LayerWeights[];
  readonly op: OnnxOp;
}

/** Keyed by the first parameter tensor; see `prepared`. */
const preparedRnns = new WeakMap<Tensor, PreparedRnn>();

function stillValid(p: PreparedRnn, kind: Kind, hidden: number, dirs: number, params: readonly Tensor[]): boolean {
  if (p.kind !== kind || p.hidden !== hidden || p.dirs !== dirs || p.params.length !== params.length) return false;
  for (let i = 0; i < params.length; i++) {
    if (p.params[i] !== params[i] || p.versions[i] !== storageVersion(params[i]!.data)) return false;
  }
  return true;
}

/** The layers' reordered and stacked weights and the ONNX op, made once per parameter list. */
function prepared(kind: Kind, hidden: number, dirs: number, params: readonly Tensor[], a: RnnArgs): PreparedRnn {
  const held = params.length > 0 ? preparedRnns.get(params[0]!) : undefined;
  if (held !== undefined && stillValid(held, kind, hidden, dirs, params)) return held;
  const perDir = a.hasBiases ? 4 : 2;
  const stack = (ts: Tensor[]) => onnx1('Concat', ts.map((t) => t.reshape([1, ...t.dims])), { axis: 0 });
  const layers: LayerWeights[] = [];
  for (let l = 0; l < a.layers; l++) {
    const W: Tensor[] = [];
    const R: Tensor[] = [];
    const B: Tensor[] = [];
    for (let d = 0; d < dirs; d++) {
      const p = params.slice((l * dirs + d) * perDir, (l * dirs + d + 1) * perDir);
      W.push(reorder(p[0]!, kind, hidden));
      R.push(reorder(p[1]!, kind, hidden));
      if (a.hasBiases) B.push(onnx1('Concat', [reorder(p[2]!, kind, hidden), reorder(p[3]!, kind, hidden)], { axis: 0 }));
    }
    layers.push({ w: stack(W), r: stack(R), b: a.hasBiases ? stack(B) : undefined });
  }
  const attrs: Record<string, number | string | string[]> = {
    hidden_size: hidden, direction: a.bidirectional ? 'bidirectional' : 'forward',
  };
  if (kind === 'GRU') attrs.linear_before_reset = 1;
  if (kind === 'RNN_TANH' || kind === 'RNN_RELU') attrs.activations = new Array<string>(dirs).fill(kind === 'RNN_TANH' ? 'Tanh' : 'Relu');
  const onnxKind = kind === 'LSTM' ? 'LSTM' : kind === 'GRU' ? 'GRU' : 'RNN';
  const p: PreparedRnn = {
    kind, hidden, dirs, params: [...params], versions: params.map((t) => storageVersion(t.data)), layers,
    op: new OnnxOp(onnxKind, attrs, kind === 'LSTM' ? 3 : 2),
  };
  if (params.length > 0) preparedRnns.set(params[0]!, p);
  return p;
}

/** Runs a stacked (bi)directional RNN; returns [output, h_n, c_n (LSTM only)]. */
function runRnn(kind: Kind, input: Tensor, h0: Tensor, c0: Tensor | null, params: readonly Tensor[], a: RnnArgs, op: string, lengths?: Tensor): Tensor[] {
  if (a.train && a.dropout > 0 && a.layers > 1) throw new InvalidNodeError(`${op}: training-mode dropout between layers is not supported`);
  const dirs = a.bidirectional ? 2 : 1;
  const perDir = a.hasBiases ? 4 : 2;
  if (kind === 'LSTM' && params.length === a.layers * dirs * (perDir + 1) && c0 !== null) {
    if (lengths !== undefined) throw new InvalidNodeError(`${op}: a packed sequence through an LSTM with proj_size is not supported`);
    return runProjectedLstm(input, h0, c0, params, a, op);
  }
  if (params.length !== a.layers * dirs * perDir) {
    throw new InvalidNodeError(`${op}: expected ${a.layers * dirs * perDir} weight tensors${kind === 'LSTM' ? ` (${a.layers * dirs * (perDir + 1)} with proj_size)` : ''}, got ${params.length}`);
  }
  const unbatched = input.rank === 2;
  let x = unbatched ? input.reshape([input.dims[0]!, 1, input.dims[1]!]) : input;
  if (a.batchFirst && !unbatched) x = permuted(x, [1, 0, 2]);
  const hidden = h0.dims[h0.rank - 1]!;
  const h = unbatched ? h0.reshape([h0.dims[0]!, 1, hidden]) : h0;
  const c = c0 === null ? null : unbatched ? c0.reshape([c0.dims[0]!, 1, hidden]) : c0;
  if (h.dims[0] !== a.layers * dirs) throw new ShapeError(`${op}: expected hidden state with ${a.layers * dirs} layers*directions, got [${h0.dims.join(', ')}]`);
  const floatStates = (h.type === 'float32' || h.type === 'float64') && (c === null || c.type === h.type);
  const pre = prepared(kind, hidden, dirs, params, a);
  const hs: Tensor[] = [];
  const cs: Tensor[] = [];
  for (let l = 0; l < a.layers; l++) {
    const { w, r, b } = pre.layers[l]!;
    const hl = floatStates ? stateRows(h, l * dirs, (l + 1) * dirs) : rows(h, l * dirs, (l + 1) * dirs);
    const cl = c === null ? undefined : floatStates ? stateRows(c, l * dirs, (l + 1) * dirs) : rows(c, l * dirs, (l + 1) * dirs);
    const inputs: (Tensor | undefined)[] = [x, w, r, b, lengths, hl];
    if (kind === 'LSTM') inputs.push(cl);
    const [y, yh, yc] = pre.op.run(inputs);
    // Y: [seq, dirs, batch, hidden] -> [seq, batch, dirs * hidden]
    const yt = dirs === 1 ? y! : permuted(y!, [0, 2, 1, 3]);
    x = yt.reshape([yt.dims[0]!, y!.dims[2]!, dirs * hidden]);
    hs.push(yh!);
    if (yc !== undefined) cs.push(yc);
  }
  let out = a.batchFirst && !unbatched ? permuted(x, [1, 0, 2]) : x;
  let hn = hs.length === 1 ? hs[0]! : cat(hs, 0, op);
  let cn = cs.length === 0 ? null : cs.length === 1 ? cs[0]! : cat(cs, 0, op);
  if (unbatched) {
    out = out.reshape([out.dims[0]!, out.dims[2]!]);
    hn = hn.reshape([hn.dims[0]!, hidden]);
    cn = cn === null ? null : cn.reshape([cn.dims[0]!, hidden]);
  }
  return cn === null ? [out, hn] : [out, hn, cn];
}

/**
 * nn.LSTM with proj_size: each direction's parameters end with w_hr [P, H], h is [layers*dirs,
 * batch, P] and h_t = w_hr (o_t * tanh(c_t)). ONNX LSTM has no projection, so this runs the cell
 * step by step (composed ops; the projection is a linear without bias).
 */
function runProjectedLstm(input: Tensor, h0: Tensor, c0: Tensor, params: readonly Tensor[], a: RnnArgs, op: string): Tensor[] {
  const dirs = a.bidirectional ? 2 : 1;
  const perDir = a.hasBiases ? 5 : 3;
  const unbatched = input.rank === 2;
  let x = unbatched ? input.reshape([input.dims[0]!, 1, input.dims[1]!]) : input;
  if (a.batchFirst && !unbatched) x = permuted(x, [1, 0, 2]);
  const proj = h0.dims[h0.rank - 1]!;
  const hidden = c0.dims[c0.rank - 1]!;
  const h = unbatched ? h0.reshape([h0.dims[0]!, 1, proj]) : h0;
  const c = unbatched ? c0.reshape([c0.dims[0]!, 1, hidden]) : c0;
  if (h.dims[0] !== a.layers * dirs || c.dims[0] !== a.layers * dirs) {
    throw new ShapeError(`${op}: expected states with ${a.layers * dirs} layers*directions, got h [${h0.dims.join(', ')}] and c [${c0.dims.join(', ')}]`);
  }
  const [seq, batch] = [x.dims[0]!, x.dims[1]!];
  if (seq === 0) throw new ShapeError(`${op}: expected a sequence of at least one step, got input [${input.dims.join(', ')}]`);
  const hs: Tensor[] = [];
  const cs: Tensor[] = [];
  for (let l = 0; l < a.layers; l++) {
    const outs: Tensor[] = [];
    for (let d = 0; d < dirs; d++) {
      const p = params.slice((l * dirs + d) * perDir, (l * dirs + d + 1) * perDir);
      const [wih, whh] = [p[0]!, p[1]!];
      const [bih, bhh] = a.hasBiases ? [p[2]!, p[3]!] : [null, null];
      const whr = p[perDir - 1]!;
      if (whr.rank !== 2 || whr.dims[0] !== proj || whr.dims[1] !== hidden || whh.dims[0] !== 4 * hidden || whh.dims[1] !== proj) {
        throw new ShapeError(`${op}: layer ${l} direction ${d}: w_hh [${whh.dims.join(', ')}] and w_hr [${whr.dims.join(', ')}] do not fit hidden ${hidden} and proj_size ${proj}`);
      }
      let ht = rows(h, l * dirs + d, l * dirs + d + 1).reshape([batch, proj]);
      let ct = rows(c, l * dirs + d, l * dirs + d + 1).reshape([batch, hidden]);
      const ys = new Array<Tensor>(seq);
      for (let k = 0; k < seq; k++) {
        const t = d === 0 ? k : seq - 1 - k;
        const xt = rows(x, t, t + 1).reshape([batch, x.dims[2]!]);
        const [raw, c1] = lstmCell(xt, ht, ct, wih, whh, bih, bhh, hidden).items as [Tensor, Tensor];
        ht = linear(raw, whr, null, op);
        ct = c1;
        ys[t] = ht.reshape([1, batch, proj]);
      }
      outs.push(onnx1('Concat', ys, { axis: 0 }));
      hs.push(ht.reshape([1, batch, proj]));
      cs.push(ct.reshape([1, batch, hidden]));
    }
    x = dirs === 1 ? outs[0]! : onnx1('Concat', outs, { axis: 2 });
  }
  let out = a.batchFirst && !unbatched ? permuted(x, [1, 0, 2]) : x;
  let hn = cat(hs, 0, op);
  let cn = cat(cs, 0, op);
  if (unbatched) {
    out = out.reshape([out.dims[0]!, out.dims[2]!]);
    hn = hn.reshape([hn.dims[0]!, proj]);
    cn = cn.reshape([cn.dims[0]!, hidden]);
  }
  return [out, hn, cn];
}

// ------------------------------------------------------------------ packed sequences
// A PackedSequence holds the steps of sequences sorted by decreasing length, step after step:
// data [sum(lengths), *] and batch_sizes [max length] (int64, how many sequences reach step t).

/** batch_sizes as numbers, checked to be positive and non-increasing. */
function batchSizesOf(t: Tensor, op: string): number[] {
  if (t.rank !== 1) throw new ShapeError(`${op}: batch_sizes must be 1-D, got [${t.dims.join(', ')}]`);
  const bs = t.toNumbers();
  for (let i = 0; i < bs.length; i++) {
    if (!(bs[i]! >= 1) || (i > 0 && bs[i]! > bs[i - 1]!)) throw new ShapeError(`${op}: batch_sizes [${bs.join(', ')}] must be positive and non-increasing`);
  }
  return bs;
}

/** aten::_pack_padded_sequence: [T, B, *] (or [B, T, *]) with lengths sorted decreasing -> (data, batch_sizes). */
function packPadded(input: Tensor, lengthsT: Tensor, batchFirst: boolean, op: string): TsTuple {
  const x = batchFirst ? permuted(input, [1, 0, ...input.dims.slice(2).map((_, i) => i + 2)]) : input;
  const lengths = lengthsT.toNumbers();
  if (lengthsT.rank !== 1 || lengths.length !== x.dims[1]) {
    throw new ShapeError(`${op}: expected ${x.dims[1]} lengths (one per sequence), got [${lengthsT.dims.join(', ')}]`);
  }
  for (let i = 0; i < lengths.length; i++) {
    if (!(lengths[i]! >= 1) || lengths[i]! > x.dims[0]!) throw new ShapeError(`${op}: length ${lengths[i]} of sequence ${i} is not in [1, ${x.dims[0]}]`);
    if (i > 0 && lengths[i]! > lengths[i - 1]!) throw new ShapeError(`${op}: lengths [${lengths.join(', ')}] must be sorted in decreasing order (enforce_sorted=False sorts them)`);
  }
  const steps = lengths[0] ?? 0;
  const sizes: number[] = [];
  const pieces: Tensor[] = [];
  for (let t = 0; t < steps; t++) {
    let n = 0;
    while (n < lengths.length && lengths[n]! > t) n++;
    sizes.push(n);
    pieces.push(onnx1('Slice', [x, shapeTensor([t, 0]), shapeTensor([t + 1, n]), shapeTensor([0, 1])]).reshape([n, ...x.dims.slice(2)]));
  }
  return new TsTuple([cat(pieces, 0, op), shapeTensor(sizes)]);
}

/** Padded [T, B, *] (zeros past each length) and int64 lengths [B] from packed data. */
function unpack(data: Tensor, sizes: readonly number[], total: number, pad: number, op: string): { padded: Tensor; lengths: Tensor } {
  const batch = sizes[0] ?? 0;
  if (total < sizes.length) throw new ShapeError(`${op}: total_length ${total} is less than the longest sequence (${sizes.length})`);
  const inner = data.dims.slice(1);
  const sum = sizes.reduce((p, q) => p + q, 0);
  if (data.dims[0] !== sum) throw new ShapeError(`${op}: data has ${data.dims[0]} rows but batch_sizes add up to ${sum}`);
  const fill = (rows: number) => onnx1('Expand', [new Tensor(data.type, data.type === 'float64' ? new Float64Array([pad]) : new Float32Array([pad]), []), shapeTensor([1, rows, ...inner])]);
  const steps: Tensor[] = [];
  let at = 0;
  for (const n of sizes) {
    const rows = onnx1('Slice', [data, shapeTensor([at]), shapeTensor([at + n]), shapeTensor([0])]).reshape([1, n, ...inner]);
    steps.push(n === batch ? rows : cat([rows, fill(batch - n)], 1, op));
    at += n;
  }
  for (let t = sizes.length; t < total; t++) steps.push(fill(batch));
  const lengths = new Array<number>(batch).fill(0).map((_, b) => sizes.filter((n) => n > b).length);
  return { padded: cat(steps, 0, op), lengths: shapeTensor(lengths) };
}

/** Packs [T, B, *] back, given batch_sizes (the inverse of unpack). */
function repack(padded: Tensor, sizes: readonly number[], op: string): Tensor {
  return cat(sizes.map((n, t) => onnx1('Slice', [padded, shapeTensor([t, 0]), shapeTensor([t + 1, n]), shapeTensor([0, 1])])
    .reshape([n, ...padded.dims.slice(2)])), 0, op);
}

/** aten::lstm.data / gru.data / rnn_*.data: the RNN over a packed sequence, returning packed output. */
function runPacked(kind: Kind, data: Tensor, batchSizes: Tensor, h0: Tensor, c0: Tensor | null, params: readonly Tensor[], a: RnnArgs, op: string): Tensor[] {
  const sizes = batchSizesOf(batchSizes, op);
  if (data.rank !== 2) throw new ShapeError(`${op}: packed data must be 2-D, got [${data.dims.join(', ')}]`);
  const { padded, lengths } = unpack(data, sizes, sizes.length, 0, op);
  const lens = new Tensor('int32', Int32Array.from(lengths.toNumbers()), [lengths.size]);
  const [y, ...states] = runRnn(kind, padded, h0, c0, params, { ...a, batchFirst: false }, op, lens);
  return [repack(y!, sizes, op), ...states];
}

function rnnArgs(a: readonly TsValue[], at: number, op: string): RnnArgs {
  return {
    hasBiases: boolArg(a[at]!, op, 'has_biases'), layers: intArg(a[at + 1]!, op, 'num_layers'),
    dropout: floatArg(a[at + 2]!, op, 'dropout'), train: boolArg(a[at + 3]!, op, 'train'),
    bidirectional: boolArg(a[at + 4]!, op, 'bidirectional'), batchFirst: boolArg(a[at + 5]!, op, 'batch_first'),
  };
}

const TAIL = 'bool has_biases, int num_layers, float dropout, bool train, bool bidirectional, bool batch_first';

function sigmoid(t: Tensor): Tensor { return onnx1('Sigmoid', [t]); }
function tanh(t: Tensor): Tensor { return onnx1('Tanh', [t]); }

/** One LSTM step: (o * tanh(c'), c'); `n` is the hidden size (w_hh's columns unless projected). */
function lstmCell(x: Tensor, h: Tensor, c: Tensor, wih: Tensor, whh: Tensor, bih: Tensor | null, bhh: Tensor | null, n = whh.dims[1]!): TsTuple {
  const gates = onnx1('Add', [linear(x, wih, bih, 'aten::lstm_cell'), linear(h, whh, bhh, 'aten::lstm_cell')]);
  const axis = gates.rank - 1;
  const part = (k: number) => onnx1('Slice', [gates, shapeTensor([k * n]), shapeTensor([(k + 1) * n]), shapeTensor([axis])]);
  const c1 = onnx1('Add', [onnx1('Mul', [sigmoid(part(1)), c]), onnx1('Mul', [sigmoid(part(0)), tanh(part(2))])]);
  return new TsTuple([onnx1('Mul', [sigmoid(part(3)), tanh(c1)]), c1]);
}

function gruCell(x: Tensor, h: Tensor, wih: Tensor, whh: Tensor, bih: Tensor | null, bhh: Tensor | null): Tensor {
  const gi = linear(x, wih, bih, 'aten::gru_cell');
  const gh = linear(h, whh, bhh, 'aten::gru_cell');
  const n = whh.dims[1]!;
  const axis = gi.rank - 1;
  const part = (t: Tensor, k: number) => onnx1('Slice', [t, shapeTensor([k * n]), shapeTensor([(k + 1) * n]), shapeTensor([axis])]);
  const r = sigmoid(onnx1('Add', [part(gi, 0), part(gh, 0)]));
  const z = sigmoid(onnx1('Add', [part(gi, 1), part(gh, 1)]));
  const nn = tanh(onnx1('Add', [part(gi, 2), onnx1('Mul', [r, part(gh, 2)])]));
  // h' = (1 - z) * n + z * h = n + z * (h - n)
  return onnx1('Add', [nn, onnx1('Mul', [z, onnx1('Sub', [h, nn])])]);
}

const DATA_TAIL = 'bool has_biases, int num_layers, float dropout, bool train, bool bidirectional';

/** rnnArgs for the .data overloads (no batch_first: packed data has none). */
function dataArgs(a: readonly TsValue[], at: number, op: string): RnnArgs {
  return {
    hasBiases: boolArg(a[at]!, op, 'has_biases'), layers: intArg(a[at + 1]!, op, 'num_layers'),
    dropout: floatArg(a[at + 2]!, op, 'dropout'), train: boolArg(a[at + 3]!, op, 'train'),
    bidirectional: boolArg(a[at + 4]!, op, 'bidirectional'), batchFirst: false,
  };
}

export const recurrentOps: readonly AtenOp[] = [
  aten('_pack_padded_sequence', '(Tensor input, Tensor lengths, bool batch_first)', (a) =>
    packPadded(tensorArg(a[0]!, '_pack_padded_sequence', 'input'), tensorArg(a[1]!, '_pack_padded_sequence', 'lengths'),
      boolArg(a[2]!, '_pack_padded_sequence', 'batch_first'), 'aten::_pack_padded_sequence')),
  aten('_pad_packed_sequence', '(Tensor data, Tensor batch_sizes, bool batch_first, Scalar padding_value, int total_length)', (a) => {
    const op = 'aten::_pad_packed_sequence';
    const sizes = batchSizesOf(tensorArg(a[1]!, op, 'batch_sizes'), op);
    const { padded, lengths } = unpack(tensorArg(a[0]!, op, 'data'), sizes, intArg(a[4]!, op, 'total_length'), floatArg(a[3]!, op, 'padding_value'), op);
    const out = boolArg(a[2]!, op, 'batch_first') ? permuted(padded, [1, 0, ...padded.dims.slice(2).map((_, i) => i + 2)]) : padded;
    return new TsTuple([out, lengths]);
  }),
  aten('lstm', `(Tensor data, Tensor batch_sizes, Tensor[] hx, Tensor[] params, ${DATA_TAIL})`, (a) => {
    const hx = tensorList(a[2]!, 'lstm', 'hx');
    return new TsTuple(runPacked('LSTM', tensorArg(a[0]!, 'lstm', 'data'), tensorArg(a[1]!, 'lstm', 'batch_sizes'), hx[0]!, hx[1]!,
      tensorList(a[3]!, 'lstm', 'params'), dataArgs(a, 4, 'aten::lstm'), 'aten::lstm'));
  }),
  ...(['gru', 'rnn_tanh', 'rnn_relu'] as const).map((n) => aten(n, `(Tensor data, Tensor batch_sizes, Tensor hx, Tensor[] params, ${DATA_TAIL})`, (a) =>
    new TsTuple(runPacked(n === 'gru' ? 'GRU' : n === 'rnn_tanh' ? 'RNN_TANH' : 'RNN_RELU', tensorArg(a[0]!, n, 'data'), tensorArg(a[1]!, n, 'batch_sizes'),
      tensorArg(a[2]!, n, 'hx'), null, tensorList(a[3]!, n, 'params'), dataArgs(a, 4, `aten::${n}`), `aten::${n}`)))),
  aten('lstm', `(Tensor input, Tensor[] hx, Tensor[] params, ${TAIL})`, (a) => {
    const hx = tensorList(a[1]!, 'lstm', 'hx');
    return new TsTuple(runRnn('LSTM', tensorArg(a[0]!, 'lstm', 'input'), hx[0]!, hx[1]!, tensorList(a[2]!, 'lstm', 'params'), rnnArgs(a, 3, 'aten::lstm'), 'aten::lstm'));
  }),
  ...(['gru', 'rnn_tanh', 'rnn_relu'] as const).map((n) => aten(n, `(Tensor input, Tensor hx, Tensor[] params, ${TAIL})`, (a) =>
    new TsTuple(runRnn(n === 'gru' ? 'GRU' : n === 'rnn_tanh' ? 'RNN_TANH' : 'RNN_RELU', tensorArg(a[0]!, n, 'input'), tensorArg(a[1]!, n, 'hx'), null,
      tensorList(a[2]!, n, 'params'), rnnArgs(a, 3, `aten::${n}`), `aten::${n}`)))),
  aten('lstm_cell', '(Tensor input, Tensor[] hx, Tensor w_ih, Tensor w_hh, Tensor? b_ih=None, Tensor? b_hh=None)', (a) => {
    const hx = tensorList(a[1]!, 'lstm_cell', 'hx');
    return lstmCell(tensorArg(a[0]!, 'lstm_cell', 'input'), hx[0]!, hx[1]!, tensorArg(a[2]!, 'lstm_cell', 'w_ih'), tensorArg(a[3]!, 'lstm_cell', 'w_hh'),
      optTensor(a[4]!, 'lstm_cell', 'b_ih'), optTensor(a[5]!, 'lstm_cell', 'b_hh'));
  }),
  aten('gru_cell', '(Tensor input, Tensor hx, Tensor w_ih, Tensor w_hh, Tensor? b_ih=None, Tensor? b_hh=None)', (a) =>
    gruCell(tensorArg(a[0]!, 'gru_cell', 'input'), tensorArg(a[1]!, 'gru_cell', 'hx'), tensorArg(a[2]!, 'gru_cell', 'w_ih'), tensorArg(a[3]!, 'gru_cell', 'w_hh'),
      optTensor(a[4]!, 'gru_cell', 'b_ih'), optTensor(a[5]!, 'gru_cell', 'b_hh'))),
];
