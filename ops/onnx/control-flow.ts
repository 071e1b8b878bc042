// Control flow: If, Loop, Scan. Bodies are graph attributes run with ctx.runSubgraph; values of
// enclosing scopes are visible to them through the runtime's scopes. Per-iteration results are
// stacked with the word-moving concat kernel, so every element type moves exactly.

import { concat } from '../../kernels/concat.js';
import { copyWords, type WordArray } from '../../kernels/element-words.js';
import { shapeSize } from '../../kernels/strides.js';
import type { DataType } from '../../src/dtypes.js';
import { InvalidNodeError, ShapeError } from '../../src/errors.js';
import { type RunControl, uncontrolled } from '../../src/run-control.js';
import type { Dim, Graph, ValueType } from '../../src/ir/graph.js';
import { Tensor } from '../../src/tensor.js';
import type { Value } from '../../src/value.js';
import { intValues } from '../compute.js';
import { elemOf, knownInts, mergeTypes, shapeOf, tensorType } from '../infer-helpers.js';
import { type Attrs, type InferContext, type InferInput, type OpContext, type OpDef, op } from '../op-def.js';
import { outputWords, tensorWords, transposeTensor } from '../tensor-words.js';

// ---- helpers shared with the sequence family ----

function dimsText(d: readonly number[]): string {
  return `[${d.join(', ')}]`;
}

/** A graph attribute, or an error naming the op when it is missing. */
export function requiredGraph(opName: string, a: Attrs, name: string): Graph {
  const g = a.graph(name);
  if (!g) throw new InvalidNodeError(`${opName}: graph attribute '${name}' is missing`);
  return g;
}

/** The value as a tensor, or an error saying what it was instead. */
export function asTensor(opName: string, v: Value | undefined, what: string): Tensor {
  if (v instanceof Tensor) return v;
  const got = v === undefined ? 'nothing' : v === null ? 'an empty optional' : 'a sequence';
  throw new InvalidNodeError(`${opName}: ${what} must be a tensor, got ${got}`);
}

/** The truth value of a one-element bool (or numeric) tensor. */
function flagOf(opName: string, t: Tensor, what: string): boolean {
  if (t.size !== 1 || t.type === 'string') {
    throw new InvalidNodeError(`${opName}: ${what} must be a single bool, got ${t.type} ${dimsText(t.dims)}`);
  }
  return t.toNumbers()[0] !== 0;
}

/**
 * Stacks equally shaped tensors along a new first axis: [n, ...elemDims]. With no parts the
 * result is the empty tensor of `fallback`'s type and shape.
 */
export function stackTensors(
  opName: string, parts: readonly Tensor[], fallback: { type: DataType; dims: readonly number[] },
): Tensor {
  const first = parts[0];
  if (!first) return Tensor.zeros(fallback.type, [0, ...fallback.dims]);
  const srcs: WordArray[] = [];
  const blocks: number[] = [];
  for (const p of parts) {
    if (p.type !== first.type || p.dims.length !== first.dims.length || p.dims.some((d, i) => d !== first.dims[i])) {
      throw new ShapeError(
        `${opName}: per-iteration outputs differ: ${first.type} ${dimsText(first.dims)} and ${p.type} ${dimsText(p.dims)}`,
      );
    }
    const { words, width } = tensorWords(p);
    srcs.push(words);
    blocks.push(p.size * width);
  }
  const out = outputWords(first.type, [parts.length, ...first.dims]);
  concat(srcs, blocks, out.words, 1);
  return out.tensor;
}

/** Row `i` of `t` along its first axis, as a new tensor of dims t.dims[1:]. */
export function tensorRow(t: Tensor, i: number): Tensor {
  const dims = t.dims.slice(1);
  const { words, width } = tensorWords(t);
  const n = shapeSize(dims) * width;
  const out = outputWords(t.type, dims);
  copyWords(words, i * n, out.words, 0, n);
  return out.tensor;
}

/** Moves axis `from` of `t` to position `to` (other axes keep their order). */
function moveAxis(t: Tensor, from: number, to: number): Tensor {
  if (from === to) return t;
  const perm = t.dims.map((_, i) => i).filter((i) => i !== from);
  perm.splice(to, 0, from);
  return transposeTensor(t, perm);
}

/**
 * Element type and dims of body output `i` as declared (on the output, else in value_info), for
 * empty stacked outputs: unknown dims become 0 (the result has no elements either way), an
 * undeclared type becomes float32.
 */
function declaredElement(body: Graph, i: number): { type: DataType; dims: number[] } {
  const out = body.outputs[i];
  let t: ValueType | undefined = out?.type;
  if (out && t?.kind !== 'tensor') t = body.valueInfo.get(out.name)?.type;
  if (t?.kind !== 'tensor') return { type: 'float32', dims: [] };
  return { type: t.elemType ?? 'float32', dims: (t.shape ?? []).map((d) => (typeof d === 'number' ? d : 0)) };
}

// ---- If ----

interface IfAttrs { readonly then: Graph; readonly else: Graph }

const ifOp = op<IfAttrs>({
  name: 'If',
  since: 1,
  values: true,
  parse: (a) => Object.freeze({ then: requiredGraph('If', a, 'then_branch'), else: requiredGraph('If', a, 'else_branch') }),
  infer: (inputs, attrs, ctx) => inferIf(inputs, attrs, ctx),
  run: ([c], attrs, ctx) => {
    const cond = flagOf('If', asTensor('If', c, "input 'cond'"), "'cond'");
    const branch = cond ? attrs.then : attrs.else;
    const outs = ctx.runSubgraph(branch, []);
    if (outs.length !== ctx.node.outputs.length) {
      throw new InvalidNodeError(
        `If: the ${cond ? 'then' : 'else'} branch has ${outs.length} outputs, the node ${ctx.node.outputs.length}`,
      );
    }
    return outs;
  },
});

// ---- Loop ----

interface LoopAttrs { readonly body: Graph }

/** The run's control, or the default limits when the op runs outside a session. */
function controlOf(ctx: OpContext): RunControl {
  return ctx.control ?? uncontrolled();
}

function runLoop(
  inputs: readonly Value[], body: Graph, run: (g: Graph, v: readonly Value[]) => Value[], control: RunControl,
): Value[] {
  const [tripT, condT, ...initial] = inputs;
  const nCarried = initial.length;
  const nScan = body.outputs.length - 1 - nCarried;
  if (body.inputs.length !== 2 + nCarried || nScan < 0) {
    throw new InvalidNodeError(
      `Loop: the body has ${body.inputs.length} inputs and ${body.outputs.length} outputs; with ${nCarried} ` +
        `loop-carried values it needs ${2 + nCarried} inputs and at least ${1 + nCarried} outputs`,
    );
  }
  let trips = Infinity;
  if (tripT !== undefined) {
    const m = asTensor('Loop', tripT, "input 'M'");
    if (m.size !== 1) throw new InvalidNodeError(`Loop: trip count 'M' must hold one value, got ${dimsText(m.dims)}`);
    trips = intValues(m)[0]!;
    // A trip count over the limit is refused before the first iteration.
    control.check('maxLoopIterations', trips, `Loop: trip count M = ${trips}`);
  }
  let cond = condT === undefined ? true : flagOf('Loop', asTensor('Loop', condT, "input 'cond'"), "'cond'");
  let carried: Value[] = initial.map((v, i) => {
    if (v === undefined) throw new InvalidNodeError(`Loop: loop-carried input ${i} is missing`);
    return v;
  });
  const scans: Tensor[][] = Array.from({ length: nScan }, () => []);
  for (let i = 0; i < trips && cond; i++) {
    control.addIterations(1, `Loop: iteration ${i + 1}`);
    control.poll('Loop');
    const iter = new Tensor('int64', BigInt64Array.of(BigInt(i)), []);
    const condIn = new Tensor('bool', Uint8Array.of(1), []);
    const outs = run(body, [iter, condIn, ...carried]);
    cond = flagOf('Loop', asTensor('Loop', outs[0], "the body's condition output"), "the body's condition output");
    carried = outs.slice(1, 1 + nCarried);
    for (let k = 0; k < nScan; k++) {
      scans[k]!.push(asTensor('Loop', outs[1 + nCarried + k], `scan output ${k}`));
    }
  }
  const stacked = scans.map((parts, k) => stackTensors('Loop', parts, declaredElement(body, 1 + nCarried + k)));
  return [...carried, ...stacked];
}

const loopOp = op<LoopAttrs>({
  name: 'Loop',
  since: 1,
  values: true,
  parse: (a) => Object.freeze({ body: requiredGraph('Loop', a, 'body') }),
  infer: (inputs, attrs, ctx) => inferLoop(inputs, attrs, ctx),
  run: (inputs, { body }, ctx) => runLoop(inputs as readonly Value[], body, (g, v) => ctx.runSubgraph(g, v), controlOf(ctx)),
});

// ---- Scan ----

interface ScanAttrs {
  readonly body: Graph;
  readonly numScanInputs: number;
  readonly inputDirections?: readonly number[];
  readonly outputDirections?: readonly number[];
  readonly inputAxes?: readonly number[];
  readonly outputAxes?: readonly number[];
}

type RunBody = (g: Graph, v: readonly Value[]) => Value[];

/** Checks a per-input / per-output attribute list and fills it with zeros when absent. */
function perItem(name: string, list: readonly number[] | undefined, n: number): readonly number[] {
  if (list === undefined) return new Array<number>(n).fill(0);
  if (list.length !== n) throw new InvalidNodeError(`Scan: '${name}' has ${list.length} entries for ${n} values`);
  return list;
}

/**
 * One scan over `len` steps: scan inputs arrive with the scanned axis first and are read from
 * the back when their direction is 1. Returns the final states and each scan output's parts
 * in iteration order.
 */
function scanSteps(
  body: Graph, states: readonly Value[], xs: readonly Tensor[], directions: readonly number[], len: number,
  nOut: number, run: RunBody, control: RunControl,
): { states: Value[]; parts: Tensor[][] } {
  let s = [...states];
  const parts: Tensor[][] = Array.from({ length: nOut }, () => []);
  for (let t = 0; t < len; t++) {
    control.poll('Scan');
    const rows = xs.map((x, k) => tensorRow(x, directions[k] ? len - 1 - t : t));
    const outs = run(body, [...s, ...rows]);
    s = outs.slice(0, s.length);
    for (let k = 0; k < nOut; k++) parts[k]!.push(asTensor('Scan', outs[s.length + k], `scan output ${k}`));
  }
  return { states: s, parts };
}

function scanCounts(body: Graph, nInputs: number, numScanInputs: number): { nState: number; nOut: number } {
  const nState = nInputs - numScanInputs;
  const nOut = body.outputs.length - nState;
  if (nState < 0 || body.inputs.length !== nInputs || nOut < 0) {
    throw new InvalidNodeError(
      `Scan: ${nInputs} state and scan inputs with num_scan_inputs=${numScanInputs} do not fit a body with ` +
        `${body.inputs.length} inputs and ${body.outputs.length} outputs`,
    );
  }
  return { nState, nOut };
}

function axisIn(what: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new InvalidNodeError(`Scan: ${what} ${axis} out of range [${-rank}, ${rank})`);
  return a;
}

function runScan9(inputs: readonly Value[], attrs: ScanAttrs, run: RunBody, control: RunControl): Value[] {
  const { body, numScanInputs } = attrs;
  const { nState, nOut } = scanCounts(body, inputs.length, numScanInputs);
  const inDirs = perItem('scan_input_directions', attrs.inputDirections, numScanInputs);
  const inAxes = perItem('scan_input_axes', attrs.inputAxes, numScanInputs);
  const outDirs = perItem('scan_output_directions', attrs.outputDirections, nOut);
  const outAxes = perItem('scan_output_axes', attrs.outputAxes, nOut);
  const states = inputs.slice(0, nState).map((v, i) => {
    if (v === undefined) throw new InvalidNodeError(`Scan: state input ${i} is missing`);
    return v;
  });
  let len = -1;
  const xs = inputs.slice(nState).map((v, k) => {
    const x = asTensor('Scan', v, `scan input ${k}`);
    const axis = axisIn(`scan_input_axes[${k}]`, inAxes[k]!, x.dims.length);
    if (len >= 0 && x.dims[axis] !== len) {
      throw new ShapeError(`Scan: scan input ${k} has ${x.dims[axis]} steps along axis ${axis}, expected ${len}`);
    }
    len = x.dims[axis]!;
    return moveAxis(x, axis, 0);
  });
  if (len < 0) throw new InvalidNodeError('Scan: needs at least one scan input');
  control.check('maxLoopIterations', len, `Scan: ${len} steps`);
  control.addIterations(len, `Scan: ${len} steps`);
  const res = scanSteps(body, states, xs, inDirs, len, nOut, run, control);
  const outs = res.parts.map((parts, k) => {
    const ordered = outDirs[k] ? [...parts].reverse() : parts;
    const stacked = stackTensors('Scan', ordered, declaredElement(body, nState + k));
    return moveAxis(stacked, 0, axisIn(`scan_output_axes[${k}]`, outAxes[k]!, stacked.dims.length));
  });
  return [...res.states, ...outs];
}

/** Opset 8: every input has a leading batch axis, scan inputs are [batch, sequence, ...]. */
function runScan8(inputs: readonly Value[], attrs: ScanAttrs, run: RunBody, control: RunControl): Value[] {
  const { body, numScanInputs } = attrs;
  const [lensV, ...rest] = inputs;
  const { nState, nOut } = scanCounts(body, rest.length, numScanInputs);
  const dirs = perItem('directions', attrs.inputDirections, numScanInputs);
  const all = rest.map((v, i) => asTensor('Scan', v, `input ${i + 1}`));
  if (all.length === 0) throw new InvalidNodeError('Scan: needs inputs');
  const batch = all[0]!.dims[0];
  const xs = all.slice(nState);
  if (xs.length === 0) throw new InvalidNodeError('Scan: needs at least one scan input');
  for (const t of all) {
    if (t.dims.length < 1 || t.dims[0] !== batch) {
      throw new ShapeError(`Scan: every input needs the batch size ${batch} as first dim, got ${dimsText(t.dims)}`);
    }
  }
  const maxLen = xs[0]!.dims[1];
  for (const x of xs) {
    if (x.dims.length < 2 || x.dims[1] !== maxLen) {
      throw new ShapeError(`Scan: scan inputs need the shape [${batch}, ${maxLen}, ...], got ${dimsText(x.dims)}`);
    }
  }
  if (batch === undefined || maxLen === undefined) throw new ShapeError('Scan: scan inputs need rank >= 2');
  const lens = lensV === undefined ? new Array<number>(batch).fill(maxLen) : intValues(asTensor('Scan', lensV, "'sequence_lens'"));
  if (lens.length !== batch || lens.some((l) => l < 0 || l > maxLen)) {
    throw new ShapeError(`Scan: sequence_lens [${lens.join(', ')}] must hold ${batch} lengths in [0, ${maxLen}]`);
  }
  control.check('maxLoopIterations', batch * maxLen, `Scan: ${batch} sequences of up to ${maxLen} steps`);
  control.addIterations(batch * maxLen, `Scan: ${batch} sequences of up to ${maxLen} steps`);
  const finals: Tensor[][] = Array.from({ length: nState }, () => []);
  const perBatch: Tensor[][][] = [];
  for (let b = 0; b < batch; b++) {
    const states = all.slice(0, nState).map((t) => tensorRow(t, b));
    const res = scanSteps(body, states, xs.map((x) => tensorRow(x, b)), dirs, lens[b]!, nOut, run, control);
    res.states.forEach((s, k) => finals[k]!.push(asTensor('Scan', s, `state output ${k}`)));
    perBatch.push(res.parts);
  }
  const outs = Array.from({ length: nOut }, (_, k) => {
    const any = perBatch.find((p) => p[k]!.length > 0)?.[k]![0];
    const elem = any ? { type: any.type, dims: any.dims } : declaredElement(body, nState + k);
    const rows = perBatch.map((p) => {
      const parts = [...p[k]!];
      // Steps past a sequence's length are zero.
      while (parts.length < maxLen) parts.push(Tensor.zeros(elem.type, elem.dims));
      return stackTensors('Scan', parts, elem);
    });
    return stackTensors('Scan', rows, { type: elem.type, dims: [maxLen, ...elem.dims] });
  });
  const states = finals.map((parts, k) => stackTensors('Scan', parts, { type: all[k]!.type, dims: all[k]!.dims.slice(1) }));
  return [...states, ...outs];
}

const scanOps = [
  op<ScanAttrs>({
    name: 'Scan', since: 8, values: true,
    parse: (a) => Object.freeze({
      body: requiredGraph('Scan', a, 'body'),
      numScanInputs: a.int('num_scan_inputs'),
      inputDirections: a.has('directions') ? a.ints('directions') : undefined,
    }),
    infer: (inputs, attrs, ctx) => inferScan8(inputs, attrs, ctx),
    run: (inputs, attrs, ctx) => runScan8(inputs as readonly Value[], attrs, (g, v) => ctx.runSubgraph(g, v), controlOf(ctx)),
  }),
  op<ScanAttrs>({
    name: 'Scan', since: 9, values: true,
    parse: (a) => {
      const opt = (n: string) => (a.has(n) ? a.ints(n) : undefined);
      return Object.freeze({
        body: requiredGraph('Scan', a, 'body'),
        numScanInputs: a.int('num_scan_inputs'),
        inputDirections: opt('scan_input_directions'),
        outputDirections: opt('scan_output_directions'),
        inputAxes: opt('scan_input_axes'),
        outputAxes: opt('scan_output_axes'),
      });
    },
    infer: (inputs, attrs, ctx) => inferScan9(inputs, attrs, ctx),
    run: (inputs, attrs, ctx) => runScan9(inputs as readonly Value[], attrs, (g, v) => ctx.runSubgraph(g, v), controlOf(ctx)),
  }),
];

export const controlFlowOps: OpDef[] = [ifOp, loopOp, ...scanOps];

// ---- Inference ----
// Subgraph outputs are inferred by the pass (ctx.inferSubgraph). Loop-carried values may change
// shape from one iteration to the next, so their types are merged with the body's outputs until
// they settle; how many iterations run depends on data unless the trip count is known and the
// condition is constantly true.

const UNKNOWN_TYPE: ValueType = { kind: 'unknown' };
const scalarOf = (elemType: DataType): ValueType => ({ kind: 'tensor', elemType, shape: [] });

/** Types only (a carried value's known value holds for the first iteration alone). */
function typeOnly(x: InferInput | undefined): InferInput | undefined {
  return x && { type: x.type };
}

/** Merged carried types; `changed` tells whether another round through the body is needed. */
function settle(carried: readonly (InferInput | undefined)[], outs: readonly (InferInput | undefined)[]) {
  let changed = false;
  const next = carried.map((c, i) => {
    const merged = mergeTypes(c?.type, outs[i]?.type) ?? UNKNOWN_TYPE;
    if (JSON.stringify(merged) !== JSON.stringify(c?.type)) changed = true;
    return { type: merged };
  });
  return { next, changed };
}

/** Runs the body with carried types until they settle (at most a few rounds). */
function inferCarried(
  ctx: InferContext, body: Graph, lead: readonly (InferInput | undefined)[], carried0: readonly (InferInput | undefined)[],
  tail: readonly (InferInput | undefined)[], offset: number,
): { outs: (InferInput | undefined)[]; carried: (InferInput | undefined)[] } {
  let carried = carried0.map(typeOnly);
  let outs = ctx.inferSubgraph(body, [...lead, ...carried, ...tail]);
  for (let round = 0; round < 3; round++) {
    const { next, changed } = settle(carried, outs.slice(offset, offset + carried.length));
    carried = next;
    if (!changed) break;
    outs = ctx.inferSubgraph(body, [...lead, ...carried, ...tail]);
  }
  return { outs, carried };
}

/** Prepends (or inserts at `axis`) a stacking dim to a per-iteration tensor type. */
function stacked(t: ValueType | undefined, n: Dim, axis = 0): ValueType {
  if (t?.kind !== 'tensor') return { kind: 'tensor', elemType: undefined };
  if (!t.shape) return { kind: 'tensor', elemType: t.elemType };
  const shape: Dim[] = [n, ...t.shape];
  const a = axis < 0 ? axis + shape.length : axis;
  shape.splice(0, 1);
  shape.splice(a, 0, n);
  return { kind: 'tensor', elemType: t.elemType, shape };
}

function inferIf(inputs: readonly (InferInput | undefined)[], attrs: IfAttrs, ctx: InferContext): (ValueType | undefined)[] {
  const c = knownInts(inputs[0]);
  if (c) return ctx.inferSubgraph(c[0] ? attrs.then : attrs.else, []).map((o) => o?.type);
  const a = ctx.inferSubgraph(attrs.then, []);
  const b = ctx.inferSubgraph(attrs.else, []);
  return ctx.node.outputs.map((_, i) => mergeTypes(a[i]?.type, b[i]?.type));
}

function inferLoop(inputs: readonly (InferInput | undefined)[], { body }: LoopAttrs, ctx: InferContext): (ValueType | undefined)[] {
  const [trip, cond, ...initial] = inputs;
  const iter: InferInput = { type: scalarOf('int64') };
  const condIn: InferInput = { type: scalarOf('bool'), value: new Tensor('bool', Uint8Array.of(1), []) };
  const { outs, carried } = inferCarried(ctx, body, [iter, condIn], initial, [], 1);
  const m = knownInts(trip)?.[0];
  const alwaysTrue = knownInts(outs[0])?.[0] === 1 && (cond === undefined || knownInts(cond)?.[0] === 1);
  const trips: Dim = m !== undefined && alwaysTrue ? m : ctx.dataDim('trips');
  const scans = outs.slice(1 + initial.length).map((o) => stacked(o?.type, trips));
  return [...carried.map((c) => c?.type), ...scans];
}

function inferScan9(inputs: readonly (InferInput | undefined)[], attrs: ScanAttrs, ctx: InferContext): (ValueType | undefined)[] {
  const nState = inputs.length - attrs.numScanInputs;
  const xs = inputs.slice(nState);
  let len: Dim = null;
  const rows = xs.map((x, k) => {
    const s = shapeOf(x);
    if (!s) return { type: { kind: 'tensor', elemType: elemOf(x) } as ValueType };
    const a = axisIn(`scan_input_axes[${k}]`, attrs.inputAxes?.[k] ?? 0, s.length);
    if (k === 0 || len === null) len = s[a]!;
    return { type: tensorType(elemOf(x), s.filter((_, i) => i !== a)) };
  });
  const { outs, carried } = inferCarried(ctx, attrs.body, [], inputs.slice(0, nState), rows, 0);
  const scans = outs.slice(nState).map((o, k) => stacked(o?.type, len, attrs.outputAxes?.[k] ?? 0));
  return [...carried.map((c) => c?.type), ...scans];
}

function inferScan8(inputs: readonly (InferInput | undefined)[], attrs: ScanAttrs, ctx: InferContext): (ValueType | undefined)[] {
  const rest = inputs.slice(1);
  const nState = rest.length - attrs.numScanInputs;
  const drop = (x: InferInput | undefined, n: number): InferInput => {
    const s = shapeOf(x);
    return { type: s ? tensorType(elemOf(x), s.slice(n)) : UNKNOWN_TYPE };
  };
  const first = shapeOf(rest[0]);
  const batch = first?.[0] ?? null;
  const maxLen = shapeOf(rest[nState])?.[1] ?? null;
  const { outs, carried } = inferCarried(ctx, attrs.body, [], rest.slice(0, nState).map((x) => drop(x, 1)),
    rest.slice(nState).map((x) => drop(x, 2)), 0);
  const states = carried.map((c) => stacked(c?.type, batch));
  const scans = outs.slice(nState).map((o) => stacked(stacked(o?.type, maxLen), batch));
  return [...states, ...scans];
}
