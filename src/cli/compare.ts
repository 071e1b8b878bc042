// `tessera compare A B [--input NAME=FILE ...]`: one model in two files (ONNX, TorchScript), or a
// model against itself with a state dict's weights (B a torch.save file or safetensors), run on
// the same inputs; each output's max abs / rel difference. When both sides run the same format
// every step's outputs are compared as well (by value name for ONNX, else the n-th call of an op
// with the n-th call of the same op, where their shapes agree) and the first step whose outputs
// differ is named: where two exports of a model part ways. `tessera compare MODEL.onnx --ort`:
// tessera against onnxruntime-node, when it is installed.
//
// A difference counts when it exceeds `tolerance * max(1, largest |value| of A's tensor)`, or
// when one side has a NaN where the other has not.

import { InferenceSession } from '../api/session.js';
import { ModelFormatError } from '../errors.js';
import { stateDict, torchLoad } from '../formats/pickle/index.js';
import { readSafetensors } from '../formats/safetensors/index.js';
import { readRegularFile } from '../node.js';
import { Tensor } from '../tensor.js';
import { buildFeeds, takeInputFlag } from './feeds.js';
import { type FileKind, KIND_NAMES, detectFileKind } from './file-kind.js';
import { type Io, UsageError, jsonDocument } from './io.js';
import { formatStats, tensorStats } from './stats.js';
import { type StepRecord, type TracedRun, openTracedRun } from './traced-run.js';

export interface CompareArgs {
  readonly a: string;
  readonly b?: string;
  readonly ort: boolean;
  readonly inputs: ReadonlyMap<string, string>;
  readonly tolerance: number;
  readonly json: boolean;
  readonly providers?: readonly string[];
}

export function parseCompareArgs(args: readonly string[]): CompareArgs {
  const files: string[] = [];
  const inputs = new Map<string, string>();
  let ort = false;
  let json = false;
  let tolerance = 1e-4;
  let providers: string[] | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--input' || a === '-i') i = takeInputFlag(args, i, inputs);
    else if (a === '--ort') ort = true;
    else if (a === '--json') json = true;
    else if (a === '--tolerance') {
      const v = args[++i];
      tolerance = Number(v);
      if (v === undefined || v.trim() === '' || !(tolerance >= 0)) throw new UsageError(`--tolerance needs a non-negative number such as 1e-4, got '${v ?? ''}'`);
    } else if (a === '--ep') {
      const v = args[++i];
      if (!v) throw new UsageError('--ep needs a backend name or list, such as wasm, cpu or wasm,cpu');
      providers = v.split(',').map((x) => x.trim()).filter((x) => x !== '');
    } else if (a.startsWith('-')) throw new UsageError(`compare: unknown option '${a}'`);
    else files.push(a);
  }
  if (ort ? files.length !== 1 : files.length !== 2) {
    throw new UsageError(ort ? 'compare --ort takes one MODEL.onnx' : 'compare takes two files A and B (or one MODEL.onnx with --ort)');
  }
  return { a: files[0]!, ...(files[1] ? { b: files[1] } : {}), ort, inputs, tolerance, json, ...(providers ? { providers } : {}) };
}

/** How far apart two tensors are. */
export interface TensorDiff {
  /** Largest |a - b| over elements where neither is NaN. */
  readonly maxAbs: number;
  /** Largest |a - b| / max(|a|, |b|) over those elements (0 where both are 0). */
  readonly maxRel: number;
  /** Largest |a| (finite elements): what the tolerance is scaled by. */
  readonly scale: number;
  /** Elements NaN on one side only. */
  readonly nanMismatch: number;
  /** Set when dtypes or shapes differ (then nothing else is measured). */
  readonly mismatch?: string;
}

export function diffTensors(a: Tensor, b: Tensor): TensorDiff {
  if (a.dims.length !== b.dims.length || a.dims.some((d, i) => d !== b.dims[i])) {
    return { maxAbs: NaN, maxRel: NaN, scale: NaN, nanMismatch: 0, mismatch: `shapes differ: [${a.dims.join(', ')}] and [${b.dims.join(', ')}]` };
  }
  if (Array.isArray(a.data) || Array.isArray(b.data)) {
    const sa = a.data as unknown[], sb = b.data as unknown[];
    const differ = sa.filter((x, i) => x !== sb[i]).length;
    return differ ? { maxAbs: NaN, maxRel: NaN, scale: NaN, nanMismatch: 0, mismatch: `${differ} string(s) differ` } : { maxAbs: 0, maxRel: 0, scale: 0, nanMismatch: 0 };
  }
  const x = a.type === 'float16' || a.type === 'bfloat16' ? a.toNumbers() : (a.data as ArrayLike<number | bigint>);
  const y = b.type === 'float16' || b.type === 'bfloat16' ? b.toNumbers() : (b.data as ArrayLike<number | bigint>);
  let maxAbs = 0, maxRel = 0, scale = 0, nanMismatch = 0;
  for (let i = 0; i < x.length; i++) {
    const p = Number(x[i]!), q = Number(y[i]!);
    if (p !== p || q !== q) {
      if ((p !== p) !== (q !== q)) nanMismatch++;
      continue;
    }
    if (Math.abs(p) > scale && Number.isFinite(p)) scale = Math.abs(p);
    if (p === q) continue; // equal infinities too
    const d = Math.abs(p - q);
    if (d > maxAbs) maxAbs = d;
    const rel = d / Math.max(Math.abs(p), Math.abs(q));
    if (rel > maxRel) maxRel = rel;
  }
  return { maxAbs, maxRel, scale, nanMismatch };
}

export function agrees(d: TensorDiff, tolerance: number): boolean {
  return d.mismatch === undefined && d.nanMismatch === 0 && d.maxAbs <= tolerance * Math.max(1, d.scale);
}

const copyOf = (t: Tensor): Tensor => new Tensor(t.type, (t.data as Float32Array).slice(), t.dims);

/** A step of side A, with copies of its tensor outputs. */
interface KeptStep {
  readonly record: Omit<StepRecord, 'inputs' | 'outputs'>;
  readonly outputs: readonly (readonly [string, Tensor])[];
}

export interface StepDiff {
  readonly a: { readonly index: number; readonly op: string; readonly node?: string; readonly where?: string; readonly value: string };
  readonly b: { readonly index: number; readonly op: string; readonly node?: string; readonly where?: string; readonly value: string };
  readonly diff: TensorDiff;
}

/** Feeds for `target` from feeds named for `source`: by name when every input's name is there, else by position. */
function feedsFor(target: InferenceSession, feeds: Record<string, Tensor>, sourceNames: readonly string[]): Record<string, Tensor> {
  if (target.inputNames.every((n) => Object.hasOwn(feeds, n))) return Object.fromEntries(target.inputNames.map((n) => [n, feeds[n]!]));
  if (target.inputNames.length > sourceNames.length) {
    throw new UsageError(`B has ${target.inputNames.length} inputs (${target.inputNames.join(', ')}), A only ${sourceNames.length}: they are not the same model`);
  }
  return Object.fromEntries(target.inputNames.map((n, i) => [n, feeds[sourceNames[i]!]!]));
}

/** Output pairs: by name when B has all of A's names, else by position. */
function pairOutputs(a: Record<string, Tensor>, b: Record<string, Tensor>): [string, string][] {
  const an = Object.keys(a), bn = Object.keys(b);
  if (an.every((n) => Object.hasOwn(b, n))) return an.map((n) => [n, n]);
  return an.slice(0, bn.length).map((n, i) => [n, bn[i]!]);
}

function readWeights(path: string, bytes: Uint8Array, kind: FileKind): Map<string, Tensor> {
  return kind === 'safetensors' ? readSafetensors(bytes, path).tensors : stateDict(torchLoad(bytes));
}

/** Numbers each op's calls: 'aten::relu#0', 'aten::relu#1', ... */
function occurrences(): (op: string) => string {
  const seen = new Map<string, number>();
  return (op) => {
    const n = seen.get(op) ?? 0;
    seen.set(op, n + 1);
    return `${op}#${n}`;
  };
}

const MODEL_KINDS: ReadonlySet<FileKind> = new Set(['onnx', 'torchscript', 'unknown']);

export async function compareCommand(argv: readonly string[], io: Io): Promise<number> {
  const args = parseCompareArgs(argv);
  const kindA = detectFileKind(await readRegularFile(args.a));
  if (!MODEL_KINDS.has(kindA)) throw new ModelFormatError(`${args.a} is ${KIND_NAMES[kindA]}, not a model: compare runs A (an ONNX or TorchScript model)`);
  if (args.ort) return compareWithOrt(args, io);
  const bytesB = await readRegularFile(args.b!);
  const kindB = detectFileKind(bytesB);
  const weights = kindB === 'torch-pickle' || kindB === 'safetensors' ? readWeights(args.b!, bytesB, kindB) : undefined;
  if (!weights && !MODEL_KINDS.has(kindB)) throw new ModelFormatError(`${args.b} is ${KIND_NAMES[kindB]}: compare takes a model or a state dict as B`);
  const options = { ...(args.providers ? { providers: args.providers } : {}) };
  const runA = await openTracedRun(args.a, options);
  const runB = await openTracedRun(weights ? args.a : args.b!, { ...options, ...(weights ? { weights } : {}) });
  const notes: string[] = [];
  const say = (line: string) => (args.json ? notes.push(line) : io.out(line));
  let feedsA: Record<string, Tensor>;
  try {
    feedsA = await buildFeeds(runA.session, args.inputs, say);
  } catch (e) {
    // A (TorchScript) may not declare its inputs' shapes where B (ONNX) does: B's random inputs, by position.
    if (!(e instanceof UsageError) || args.inputs.size || runB.session.inputNames.length !== runA.session.inputNames.length) throw e;
    feedsA = feedsFor(runA.session, await buildFeeds(runB.session, new Map(), say), runB.session.inputNames);
  }
  const feedsB = feedsFor(runB.session, feedsA, runA.session.inputNames);
  const stepwise = runA.format === runB.format;
  // A's steps by value name (ONNX, main graph) and by occurrence of their op ('aten::relu' #3).
  const byName = new Map<string, { step: KeptStep; tensor: Tensor }>();
  const byOccurrence = new Map<string, KeptStep>();
  const occurrenceA = occurrences();
  const outA = await runA.run(feedsA, (s) => {
    if (!stepwise) return;
    const { inputs: _i, outputs, ...record } = s;
    const step: KeptStep = { record, outputs: outputs.flatMap(([n, v]) => (v instanceof Tensor ? [[n, copyOf(v)] as const] : [])) };
    byOccurrence.set(occurrenceA(s.op), step);
    if (runA.format === 'onnx' && step.record.depth === 0) for (const [n, t] of step.outputs) byName.set(n, { step, tensor: t });
  });
  const stepDiffs: StepDiff[] = [];
  const occurrenceB = occurrences();
  const outB = await runB.run(feedsB, (s) => {
    if (!stepwise) return;
    const twin = byOccurrence.get(occurrenceB(s.op));
    s.outputs.forEach(([name, v], k) => {
      if (!(v instanceof Tensor)) return;
      let ref = runA.format === 'onnx' && s.depth === 0 ? byName.get(name) : undefined;
      if (!ref) {
        // The same occurrence of the same op; a different shape there means the code differs, not the numbers.
        const t = twin?.outputs[k]?.[1];
        if (!t || t.type !== v.type || t.dims.length !== v.dims.length || t.dims.some((d, i) => d !== v.dims[i])) return;
        ref = { step: twin!, tensor: t };
      }
      const r = ref.step.record;
      const side = (x: typeof r, value: string) => ({ index: x.index, op: x.op, ...(x.node ? { node: x.node } : {}), ...(x.where ? { where: x.where } : {}), value });
      const refName = ref.step.outputs.find(([, t]) => t === ref!.tensor)![0];
      stepDiffs.push({ a: side(r, refName), b: side(s, name), diff: diffTensors(ref.tensor, v) });
    });
  });
  const outputs = pairOutputs(outA.outputs, outB.outputs).map(([na, nb]) => {
    const diff = diffTensors(outA.outputs[na]!, outB.outputs[nb]!);
    return { a: na, b: nb, ...tensorStats(outA.outputs[na]!), ...diff, agree: agrees(diff, args.tolerance) };
  });
  const divergence = stepDiffs.filter((d) => !agrees(d.diff, args.tolerance)).sort((x, y) => x.a.index - y.a.index)[0];
  const agree = outputs.length > 0 && outputs.every((o) => o.agree);
  const describe = (path: string, r: TracedRun) => `${path} (${r.format === 'onnx' ? 'ONNX' : 'TorchScript'})`;
  if (args.json) {
    io.out(jsonDocument({
      a: { file: args.a, format: runA.format }, b: weights ? { file: args.b, weights: runB.weights } : { file: args.b, format: runB.format },
      backend: runA.backend, tolerance: args.tolerance,
      inputs: Object.fromEntries(Object.entries(feedsA).map(([k, t]) => [k, tensorStats(t)])),
      outputs, ...(stepwise ? { steps: { compared: stepDiffs.length, firstDivergence: divergence ?? null } } : {}),
      agree, notes,
    }));
    return agree ? 0 : 1;
  }
  io.out(`A: ${describe(args.a, runA)}`);
  if (weights) {
    const w = runB.weights!;
    io.out(`B: ${args.b} (${KIND_NAMES[kindB]}): ${w.applied.length} of ${weights.size} tensors applied to A${w.skipped.length ? `; not applied: ${w.skipped.slice(0, 5).join('; ')}${w.skipped.length > 5 ? `; ... (${w.skipped.length})` : ''}` : ''}`);
  } else io.out(`B: ${describe(args.b!, runB)}`);
  for (const o of outputs) {
    const name = o.a === o.b ? o.a : `${o.a} / ${o.b}`;
    const what = o.mismatch ?? `max abs ${o.maxAbs.toExponential(3)}  max rel ${o.maxRel.toExponential(3)}${o.nanMismatch ? `  NaN on one side ${o.nanMismatch}` : ''}`;
    io.out(`output ${name}: ${formatStats(tensorStats(outA.outputs[o.a]!))}`);
    io.out(`  ${what}  ${o.agree ? 'agree' : 'DIFFER'}`);
  }
  if (stepwise) {
    io.out(`steps compared: ${stepDiffs.length}`);
    if (divergence) {
      const at = (s: StepDiff['a']) => `step ${s.index} ${s.op}${s.node ? ` '${s.node}'` : ''}${s.where ? ` at ${s.where}` : ''} -> ${s.value}`;
      const d = divergence.diff;
      io.out(`first divergence: A ${at(divergence.a)}`);
      io.out(`                  B ${at(divergence.b)}`);
      io.out(`  ${d.mismatch ?? `max abs ${d.maxAbs.toExponential(3)}  max rel ${d.maxRel.toExponential(3)}${d.nanMismatch ? `  NaN on one side ${d.nanMismatch}` : ''}`}`);
    } else io.out('no step differs beyond the tolerance');
  }
  io.out(agree ? `agree: every output within ${args.tolerance} x max(1, |A|)` : `DIFFER: beyond ${args.tolerance} x max(1, |A|)`);
  return agree ? 0 : 1;
}

/** The part of onnxruntime-node's API compare uses. */
interface OrtModule {
  readonly Tensor: new (type: string, data: unknown, dims: readonly number[]) => unknown;
  readonly InferenceSession: { create(path: string): Promise<{ run(feeds: Record<string, unknown>): Promise<Record<string, { type: string; data: unknown; dims: readonly number[] }>> }> };
}

async function compareWithOrt(args: CompareArgs, io: Io): Promise<number> {
  let ort: OrtModule;
  const name = 'onnxruntime-node'; // a variable: bundlers leave the optional import alone
  try {
    const m = (await import(name)) as OrtModule & { default?: OrtModule };
    ort = m.InferenceSession ? m : m.default!;
  } catch {
    throw new UsageError('compare --ort needs onnxruntime-node, which is not installed (npm install onnxruntime-node)');
  }
  const session = await InferenceSession.create(args.a, args.providers ? { executionProviders: [...args.providers] } : {});
  if (session.format !== 'onnx') throw new UsageError(`compare --ort: ${args.a} is a TorchScript archive; onnxruntime runs ONNX models`);
  const notes: string[] = [];
  const say = (line: string) => (args.json ? notes.push(line) : io.out(line));
  const feeds = await buildFeeds(session, args.inputs, say);
  const ours = await session.run(feeds);
  const ortSession = await ort.InferenceSession.create(args.a);
  const theirs = await ortSession.run(Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, new ort.Tensor(t.type, t.data, t.dims)])));
  const outputs = Object.keys(ours).map((n) => {
    const o = theirs[n];
    if (!o) return { a: n, b: n, ...tensorStats(ours[n]!), maxAbs: NaN, maxRel: NaN, scale: NaN, nanMismatch: 0, mismatch: 'onnxruntime gave no such output', agree: false };
    const diff = diffTensors(ours[n]!, new Tensor(o.type as Tensor['type'], o.data as Float32Array, [...o.dims]));
    return { a: n, b: n, ...tensorStats(ours[n]!), ...diff, agree: agrees(diff, args.tolerance) };
  });
  const agree = outputs.every((o) => o.agree);
  if (args.json) {
    io.out(jsonDocument({ a: { file: args.a, format: 'onnx', backend: session.backend }, b: { runtime: 'onnxruntime-node' }, tolerance: args.tolerance, outputs, agree, notes }));
    return agree ? 0 : 1;
  }
  io.out(`A: ${args.a} on tessera (${session.backend}); B: the same file on onnxruntime-node`);
  for (const o of outputs) {
    io.out(`output ${o.a}: ${formatStats(tensorStats(ours[o.a]!))}`);
    io.out(`  ${o.mismatch ?? `max abs ${o.maxAbs.toExponential(3)}  max rel ${o.maxRel.toExponential(3)}`}  ${o.agree ? 'agree' : 'DIFFER'}`);
  }
  io.out(agree ? `agree: every output within ${args.tolerance} x max(1, |A|)` : `DIFFER: beyond ${args.tolerance} x max(1, |A|)`);
  return agree ? 0 : 1;
}
