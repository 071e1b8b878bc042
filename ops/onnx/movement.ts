// Data movement: Transpose, Concat, Split, Slice, Tile, Pad, Trilu, DepthToSpace,
// SpaceToDepth, ReverseSequence. These ops move bit patterns and never convert values,
// so every element type (strings, bools, int64, float16 bits) takes the same word kernels.

import { concat, split } from '../../kernels/concat.js';
import type { WordArray } from '../../kernels/element-words.js';
import { pad, padIndexMap, type PadMode } from '../../kernels/pad.js';
import { reverseSequence } from '../../kernels/reverse-sequence.js';
import { slice, sliceRange } from '../../kernels/slice.js';
import { sizeBetween } from '../../kernels/strides.js';
import { repeatCopy } from '../../kernels/tile.js';
import { trilu } from '../../kernels/trilu.js';
import { InvalidNodeError, ShapeError } from '../../src/errors.js';
import { Tensor } from '../../src/tensor.js';
import {
  concatDims, concatShapes, dimMul, elemOf, knownInts, mapShape, padShape, sameAs, shapeOf, sliceDims,
  sliceShape, splitSizesOf, splitTypes, tensorType, unknownDims,
} from '../infer-helpers.js';
import { type Attrs, type InferInput, type OpDef, op } from '../op-def.js';
import { checkedAxis, intList, required } from '../op-inputs.js';
import { outputWords, scalarWords, tensorWords, transposeTensor } from '../tensor-words.js';

function dimsText(d: readonly number[]): string {
  return `[${d.join(', ')}]`;
}

// ---- Transpose ----

const transposeOp = op({
  name: 'Transpose',
  since: 1,
  parse: (a: Attrs) => Object.freeze({ perm: a.has('perm') ? a.ints('perm') : undefined }),
  infer: ([x], { perm }) => {
    const s = shapeOf(x);
    return [tensorType(elemOf(x), s && (perm ?? s.map((_, i) => s.length - 1 - i)).map((p) => s[p]!))];
  },
  run: ([x], { perm }) => {
    const data = required('Transpose', x, 'data');
    const r = data.dims.length;
    const p = perm ?? data.dims.map((_, i) => r - 1 - i);
    if (p.length !== r) throw new InvalidNodeError(`Transpose: perm [${p.join(', ')}] has ${p.length} axes, input has ${r}`);
    const seen = new Set<number>();
    for (const a of p) {
      if (!Number.isInteger(a) || a < 0 || a >= r || seen.has(a)) {
        throw new InvalidNodeError(`Transpose: perm [${p.join(', ')}] is not a permutation of ${r} axes`);
      }
      seen.add(a);
    }
    return [transposeTensor(data, p)];
  },
});

// ---- Concat ----

function concatRun(inputs: readonly (Tensor | undefined)[], axisAttr: number): Tensor {
  const xs = inputs.filter((t): t is Tensor => t !== undefined);
  if (xs.length === 0) throw new InvalidNodeError('Concat: needs at least one input');
  const first = xs[0]!;
  const r = first.dims.length;
  const axis = checkedAxis('Concat', axisAttr, r);
  const outDims = [...first.dims];
  outDims[axis] = 0;
  for (const t of xs) {
    if (t.type !== first.type) throw new ShapeError(`Concat: inputs mix ${first.type} and ${t.type}`);
    const ok = t.dims.length === r && t.dims.every((d, i) => i === axis || d === first.dims[i]);
    if (!ok) {
      throw new ShapeError(
        `Concat: input shapes ${dimsText(first.dims)} and ${dimsText(t.dims)} differ outside axis ${axis}`,
      );
    }
    outDims[axis]! += t.dims[axis]!;
  }
  if (xs.length === 1) return first;
  const outer = sizeBetween(first.dims, 0, axis);
  const srcs: WordArray[] = [];
  const blocks: number[] = [];
  for (const t of xs) {
    const { words, width } = tensorWords(t);
    srcs.push(words);
    blocks.push(sizeBetween(t.dims, axis, r) * width);
  }
  const out = outputWords(first.type, outDims);
  concat(srcs, blocks, out.words, outer);
  return out.tensor;
}

const inferConcat = (inputs: readonly (InferInput | undefined)[], { axis }: { readonly axis: number }) => {
  const present = inputs.filter((x) => x !== undefined);
  return [tensorType(elemOf(present[0]), concatShapes(present.map(shapeOf), axis))];
};

const concatOps = [
  op({ name: 'Concat', since: 1, parse: (a: Attrs) => Object.freeze({ axis: a.int('axis', 1) }),
    infer: inferConcat, inferDims: concatDims, run: (inputs, { axis }) => [concatRun(inputs, axis)] }),
  op({ name: 'Concat', since: 4, parse: (a: Attrs) => Object.freeze({ axis: a.int('axis') }),
    infer: inferConcat, inferDims: concatDims, run: (inputs, { axis }) => [concatRun(inputs, axis)] }),
];

// ---- Split ----

function splitRun(x: Tensor, axisAttr: number, sizes: readonly number[] | undefined, nOut: number, uneven: boolean): Tensor[] {
  const r = x.dims.length;
  const axis = checkedAxis('Split', axisAttr, r);
  const dim = x.dims[axis]!;
  let parts: number[];
  if (sizes) {
    parts = [...sizes];
    const sum = parts.reduce((a, b) => a + b, 0);
    if (parts.some((s) => s < 0) || sum !== dim) {
      throw new ShapeError(`Split: split sizes [${parts.join(', ')}] do not add up to dim ${dim} of axis ${axis}`);
    }
    if (parts.length !== nOut) {
      throw new InvalidNodeError(`Split: ${parts.length} split sizes for ${nOut} outputs`);
    }
  } else {
    if (nOut < 1) throw new InvalidNodeError('Split: no outputs');
    if (dim % nOut !== 0 && !uneven) {
      throw new ShapeError(`Split: dim ${dim} of axis ${axis} does not split into ${nOut} equal parts`);
    }
    const chunk = Math.ceil(dim / nOut);
    parts = new Array<number>(nOut).fill(chunk);
    parts[nOut - 1] = dim - chunk * (nOut - 1);
    if (parts[nOut - 1]! < 0) {
      throw new ShapeError(`Split: dim ${dim} of axis ${axis} cannot be cut into ${nOut} chunks of ${chunk}`);
    }
  }
  const { words, width } = tensorWords(x);
  const inner = sizeBetween(x.dims, axis + 1, r) * width;
  const outs = parts.map((p) => {
    const d = [...x.dims];
    d[axis] = p;
    return outputWords(x.type, d);
  });
  split(words, outs.map((o) => o.words), parts.map((p) => p * inner), sizeBetween(x.dims, 0, axis));
  return outs.map((o) => o.tensor);
}

/** The split input's sizes; an empty tensor counts as absent (as in onnxruntime). */
function splitSizes(s: Tensor | undefined): number[] | undefined {
  return s && s.size > 0 ? intList(s) : undefined;
}

const splitOps = [
  op({
    name: 'Split', since: 1,
    parse: (a: Attrs) => Object.freeze({ axis: a.int('axis', 0), split: a.has('split') ? a.ints('split') : undefined }),
    infer: ([x, s], at, ctx) => splitTypes(x, at.axis, s ? knownInts(s) : at.split, ctx.node.outputs.length),
    run: ([x, s], attrs, ctx) => splitRun(required('Split', x, 'input'), attrs.axis,
      s ? intList(s) : attrs.split, ctx.node.outputs.length, false),
  }),
  op({
    name: 'Split', since: 2,
    parse: (a: Attrs) => Object.freeze({ axis: a.int('axis', 0), split: a.has('split') ? a.ints('split') : undefined }),
    infer: ([x], at, ctx) => splitTypes(x, at.axis, at.split, ctx.node.outputs.length),
    run: ([x], attrs, ctx) => splitRun(required('Split', x, 'input'), attrs.axis, attrs.split,
      ctx.node.outputs.length, false),
  }),
  op({
    name: 'Split', since: 13,
    parse: (a: Attrs) => Object.freeze({ axis: a.int('axis', 0) }),
    infer: ([x, s], at, ctx) => splitTypes(x, at.axis, splitSizesOf(s), ctx.node.outputs.length),
    run: ([x, s], attrs, ctx) => splitRun(required('Split', x, 'input'), attrs.axis,
      splitSizes(s), ctx.node.outputs.length, false),
  }),
  op({
    name: 'Split', since: 18,
    parse: (a: Attrs) => Object.freeze({
      axis: a.int('axis', 0),
      numOutputs: a.has('num_outputs') ? a.int('num_outputs') : undefined,
    }),
    infer: ([x, s], at, ctx) => splitTypes(x, at.axis, splitSizesOf(s), at.numOutputs ?? ctx.node.outputs.length),
    run: ([x, s], attrs, ctx) => {
      const sizes = splitSizes(s);
      if (sizes && attrs.numOutputs !== undefined) {
        throw new InvalidNodeError("Split: give either the 'split' input or the 'num_outputs' attribute, not both");
      }
      const n = attrs.numOutputs ?? ctx.node.outputs.length;
      if (attrs.numOutputs !== undefined && n !== ctx.node.outputs.length) {
        throw new InvalidNodeError(`Split: num_outputs is ${n} but the node has ${ctx.node.outputs.length} outputs`);
      }
      return splitRun(required('Split', x, 'input'), attrs.axis, sizes, n,
        attrs.numOutputs !== undefined);
    },
  }),
];

// ---- Slice ----

function sliceRun(
  x: Tensor, starts: readonly number[], ends: readonly number[], axesIn: readonly number[] | undefined,
  stepsIn: readonly number[] | undefined,
): Tensor {
  const r = x.dims.length;
  const n = starts.length;
  if (ends.length !== n) throw new InvalidNodeError(`Slice: ${n} starts but ${ends.length} ends`);
  const axes = axesIn ?? starts.map((_, i) => i);
  const steps = stepsIn ?? starts.map(() => 1);
  if (axes.length !== n || steps.length !== n) {
    throw new InvalidNodeError(`Slice: starts, ends, axes and steps must have the same length (${n})`);
  }
  const st = x.dims.map(() => 0);
  const sp = x.dims.map(() => 1);
  const od = [...x.dims];
  const seen = new Set<number>();
  for (let i = 0; i < n; i++) {
    const a = checkedAxis('Slice', axes[i]!, r);
    if (seen.has(a)) throw new InvalidNodeError(`Slice: axis ${axes[i]} is repeated`);
    seen.add(a);
    if (steps[i] === 0) throw new InvalidNodeError(`Slice: step for axis ${axes[i]} is 0`);
    const range = sliceRange(x.dims[a]!, starts[i]!, ends[i]!, steps[i]!);
    st[a] = range.start;
    sp[a] = range.step;
    od[a] = range.count;
  }
  const { words, width } = tensorWords(x);
  const out = outputWords(x.type, od);
  slice(words, out.words, x.dims, st, sp, od, width);
  return out.tensor;
}

const sliceOps = [
  op({
    name: 'Slice', since: 1,
    parse: (a: Attrs) => Object.freeze({
      starts: a.ints('starts'), ends: a.ints('ends'), axes: a.has('axes') ? a.ints('axes') : undefined,
    }),
    infer: ([x], at) => [tensorType(elemOf(x), mapShape(x, (s) => sliceShape(s, at.starts, at.ends, at.axes, undefined)))],
    inferDims: ([x], at) => [sliceDims(x, at.starts, at.ends, at.axes, undefined)],
    run: ([x], at) => [sliceRun(required('Slice', x, 'data'), at.starts, at.ends, at.axes, undefined)],
  }),
  op({
    name: 'Slice', since: 10,
    infer: ([x, starts, ends, axes, steps]) => {
      const ax = axes ? knownInts(axes) : undefined;
      if (axes && !ax) return [tensorType(elemOf(x), mapShape(x, (s) => unknownDims(s.length)))];
      return [tensorType(elemOf(x), mapShape(x, (s) => sliceShape(s, knownInts(starts), knownInts(ends), ax, steps && knownInts(steps))))];
    },
    inferDims: ([x, starts, ends, axes, steps]) => {
      const [st, en] = [knownInts(starts), knownInts(ends)];
      if (!st || !en || (axes && !knownInts(axes)) || (steps && !knownInts(steps))) return [];
      return [sliceDims(x, st, en, axes && knownInts(axes), steps && knownInts(steps))];
    },
    run: ([x, starts, ends, axes, steps]) => [sliceRun(
      required('Slice', x, 'data'), intList(required('Slice', starts, 'starts')),
      intList(required('Slice', ends, 'ends')), axes && intList(axes), steps && intList(steps),
    )],
  }),
];

// ---- Tile ----

const tileOp = op({
  name: 'Tile',
  since: 6,
  infer: ([x, reps]) => {
    const r = knownInts(reps);
    return [tensorType(elemOf(x), mapShape(x, (s) => s.map((d, i) => (r ? dimMul(d, r[i] ?? null) : null))))];
  },
  run: ([x, reps]) => {
    const data = required('Tile', x, 'input');
    const repeats = intList(required('Tile', reps, 'repeats'));
    if (repeats.length !== data.dims.length || reps!.dims.length !== 1) {
      throw new ShapeError(`Tile: repeats has shape ${dimsText(reps!.dims)}, input has rank ${data.dims.length}`);
    }
    if (repeats.some((v) => v < 0)) throw new InvalidNodeError(`Tile: negative repeats [${repeats.join(', ')}]`);
    const outDims = data.dims.map((d, i) => d * repeats[i]!);
    const { words, width } = tensorWords(data);
    const out = outputWords(data.type, outDims);
    repeatCopy(words, out.words, data.dims, outDims, width);
    return [out.tensor];
  },
});

// ---- Pad ----

const PAD_MODES: readonly PadMode[] = ['constant', 'reflect', 'edge', 'wrap'];

function padMode(a: Attrs): PadMode {
  const mode = a.string('mode', 'constant');
  if (!(PAD_MODES as readonly string[]).includes(mode)) {
    throw new InvalidNodeError(`Pad: unknown mode '${mode}' (expected ${PAD_MODES.join(', ')})`);
  }
  return mode as PadMode;
}

function padRun(x: Tensor, pads: readonly number[], mode: PadMode, fill: WordArray, axesIn?: readonly number[]): Tensor {
  const r = x.dims.length;
  const axes = axesIn ? axesIn.map((a) => checkedAxis('Pad', a, r)) : x.dims.map((_, i) => i);
  if (pads.length !== 2 * axes.length) {
    throw new InvalidNodeError(`Pad: ${pads.length} pads for ${axes.length} axes (need ${2 * axes.length})`);
  }
  const before = x.dims.map(() => 0);
  const after = x.dims.map(() => 0);
  axes.forEach((a, i) => {
    before[a] = pads[i]!;
    after[a] = pads[i + axes.length]!;
  });
  const maps = x.dims.map((d, a) => {
    if (d + before[a]! + after[a]! < 0) {
      throw new ShapeError(`Pad: pads ${before[a]}, ${after[a]} make axis ${a} of size ${d} negative`);
    }
    const m = padIndexMap(d, before[a]!, after[a]!, mode);
    if (!m) throw new ShapeError(`Pad: mode '${mode}' cannot pad axis ${a}, which is empty`);
    return m;
  });
  const { words } = tensorWords(x);
  const out = outputWords(x.type, maps.map((m) => m.length));
  pad(words, out.words, x.dims, maps, fill);
  return out.tensor;
}

/** The fill element: the constant_value input's words, or zero of the type (also the width). */
function padFill(x: Tensor, mode: PadMode, value: Tensor | undefined): WordArray {
  if (value && mode === 'constant') {
    if (value.type !== x.type) throw new ShapeError(`Pad: constant_value is ${value.type}, data is ${x.type}`);
    if (value.size !== 1) throw new ShapeError(`Pad: constant_value must hold one element, has ${value.size}`);
    return tensorWords(value).words;
  }
  return tensorWords(Tensor.zeros(x.type, [1])).words;
}

const padOps = [
  op({
    name: 'Pad', since: 1,
    parse: (a: Attrs) => Object.freeze({ pads: a.ints('paddings'), mode: padMode(a), value: a.float('value', 0) }),
    infer: ([x], at) => [tensorType(elemOf(x), mapShape(x, (s) => padShape(s, at.pads)))],
    run: ([x], at) => {
      const data = required('Pad', x, 'data');
      return [padRun(data, at.pads, at.mode, scalarWords(data.type, at.value))];
    },
  }),
  op({
    name: 'Pad', since: 2,
    parse: (a: Attrs) => Object.freeze({ pads: a.ints('pads'), mode: padMode(a), value: a.float('value', 0) }),
    infer: ([x], at) => [tensorType(elemOf(x), mapShape(x, (s) => padShape(s, at.pads)))],
    run: ([x], at) => {
      const data = required('Pad', x, 'data');
      return [padRun(data, at.pads, at.mode, scalarWords(data.type, at.value))];
    },
  }),
  op({
    name: 'Pad', since: 11,
    parse: (a: Attrs) => Object.freeze({ mode: padMode(a) }),
    infer: ([x, pads]) => [tensorType(elemOf(x), mapShape(x, (s) => padShape(s, knownInts(pads))))],
    run: ([x, pads, value], at) => {
      const data = required('Pad', x, 'data');
      return [padRun(data, intList(required('Pad', pads, 'pads')), at.mode, padFill(data, at.mode, value))];
    },
  }),
  op({
    name: 'Pad', since: 18,
    parse: (a: Attrs) => Object.freeze({ mode: padMode(a) }),
    infer: ([x, pads, , axes]) => {
      if (axes && !knownInts(axes)) return [tensorType(elemOf(x), mapShape(x, (s) => unknownDims(s.length)))];
      return [tensorType(elemOf(x), mapShape(x, (s) => padShape(s, knownInts(pads), axes && knownInts(axes))))];
    },
    run: ([x, pads, value, axes], at) => {
      const data = required('Pad', x, 'data');
      return [padRun(data, intList(required('Pad', pads, 'pads')), at.mode, padFill(data, at.mode, value),
        axes && intList(axes))];
    },
  }),
];

// ---- Trilu ----

const triluOp = op({
  name: 'Trilu',
  since: 14,
  parse: (a: Attrs) => Object.freeze({ upper: a.int('upper', 1) !== 0 }),
  infer: sameAs(0),
  run: ([x, kT], { upper }) => {
    const data = required('Trilu', x, 'input');
    const r = data.dims.length;
    if (r < 2) throw new ShapeError(`Trilu: input must have rank >= 2, has shape ${dimsText(data.dims)}`);
    let k = 0;
    if (kT) {
      if (kT.size !== 1) throw new ShapeError(`Trilu: k must be a scalar, has shape ${dimsText(kT.dims)}`);
      k = intList(kT)[0]!;
    }
    const { words, width } = tensorWords(data);
    const out = outputWords(data.type, data.dims);
    const rows = data.dims[r - 2]!;
    const cols = data.dims[r - 1]!;
    trilu(words, out.words, sizeBetween(data.dims, 0, r - 2), rows, cols, k, upper, width);
    return [out.tensor];
  },
});

// ---- DepthToSpace / SpaceToDepth: a reshape, a transpose and a reshape ----

function blockDims(opName: string, x: Tensor, b: number): [number, number, number, number] {
  if (x.dims.length !== 4) throw new ShapeError(`${opName}: input must be 4-D [N, C, H, W], has ${dimsText(x.dims)}`);
  if (!Number.isInteger(b) || b < 1) throw new InvalidNodeError(`${opName}: blocksize ${b} must be >= 1`);
  return x.dims as unknown as [number, number, number, number];
}

const depthToSpaceOp = op({
  name: 'DepthToSpace',
  since: 1,
  parse: (a: Attrs) => {
    const mode = a.string('mode', 'DCR');
    if (mode !== 'DCR' && mode !== 'CRD') throw new InvalidNodeError(`DepthToSpace: unknown mode '${mode}'`);
    return Object.freeze({ blocksize: a.int('blocksize'), mode });
  },
  infer: ([x], { blocksize: b }) => [tensorType(elemOf(x), mapShape(x, ([n, c, h, w]) =>
    [n!, typeof c === 'number' ? c / (b * b) : null, dimMul(h!, b), dimMul(w!, b)]))],
  run: ([x], { blocksize: b, mode }) => {
    const data = required('DepthToSpace', x, 'input');
    const [n, c, h, w] = blockDims('DepthToSpace', data, b);
    if (c % (b * b) !== 0) throw new ShapeError(`DepthToSpace: channels ${c} not divisible by blocksize² ${b * b}`);
    const c2 = c / (b * b);
    const t = mode === 'DCR'
      ? transposeTensor(data.reshape([n, b, b, c2, h, w]), [0, 3, 4, 1, 5, 2])
      : transposeTensor(data.reshape([n, c2, b, b, h, w]), [0, 1, 4, 2, 5, 3]);
    return [t.reshape([n, c2, h * b, w * b])];
  },
});

const spaceToDepthOp = op({
  name: 'SpaceToDepth',
  since: 1,
  parse: (a: Attrs) => Object.freeze({ blocksize: a.int('blocksize') }),
  infer: ([x], { blocksize: b }) => [tensorType(elemOf(x), mapShape(x, ([n, c, h, w]) =>
    [n!, dimMul(c!, b * b), typeof h === 'number' ? h / b : null, typeof w === 'number' ? w / b : null]))],
  run: ([x], { blocksize: b }) => {
    const data = required('SpaceToDepth', x, 'input');
    const [n, c, h, w] = blockDims('SpaceToDepth', data, b);
    if (h % b !== 0 || w % b !== 0) {
      throw new ShapeError(`SpaceToDepth: spatial dims ${h}x${w} not divisible by blocksize ${b}`);
    }
    const t = transposeTensor(data.reshape([n, c, h / b, b, w / b, b]), [0, 3, 5, 1, 2, 4]);
    return [t.reshape([n, c * b * b, h / b, w / b])];
  },
});

// ---- ReverseSequence ----

const reverseSequenceOp = op({
  name: 'ReverseSequence',
  since: 10,
  parse: (a: Attrs) => {
    const batchAxis = a.int('batch_axis', 1);
    const timeAxis = a.int('time_axis', 0);
    if (!((batchAxis === 0 && timeAxis === 1) || (batchAxis === 1 && timeAxis === 0))) {
      throw new InvalidNodeError(`ReverseSequence: batch_axis ${batchAxis} and time_axis ${timeAxis} must be 0 and 1`);
    }
    return Object.freeze({ timeMajor: timeAxis === 0 });
  },
  infer: sameAs(0),
  run: ([x, lensT], { timeMajor }) => {
    const data = required('ReverseSequence', x, 'input');
    if (data.dims.length < 2) throw new ShapeError(`ReverseSequence: input rank must be >= 2, has ${dimsText(data.dims)}`);
    const steps = data.dims[timeMajor ? 0 : 1]!;
    const batch = data.dims[timeMajor ? 1 : 0]!;
    const lens = intList(required('ReverseSequence', lensT, 'sequence_lens'));
    if (lens.length !== batch) throw new ShapeError(`ReverseSequence: ${lens.length} sequence_lens for batch ${batch}`);
    const bad = lens.find((l) => l < 0 || l > steps);
    if (bad !== undefined) throw new ShapeError(`ReverseSequence: sequence length ${bad} out of range [0, ${steps}]`);
    const { words, width } = tensorWords(data);
    const out = outputWords(data.type, data.dims);
    reverseSequence(words, out.words, steps, batch, sizeBetween(data.dims, 2, data.dims.length) * width, timeMajor, lens);
    return [out.tensor];
  },
});

export const movementOps: OpDef[] = [
  transposeOp, ...concatOps, ...splitOps, ...sliceOps, tileOp, ...padOps, triluOp,
  depthToSpaceOp, spaceToDepthOp, reverseSequenceOp,
];
