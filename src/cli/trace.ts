// `tessera trace MODEL [--input NAME=FILE ...] [--dump DIR] [--until-nan] [--json]`: runs the model
// once and prints every step's inputs and outputs (dtype, shape, min/max/mean, NaN/Inf counts):
// each ONNX node as written (no fusion), or each aten/prim call of a TorchScript model with its
// source line. --dump writes each step's output tensors as .npy; --until-nan stops after the first
// step whose output holds a NaN.

import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { writeNpy } from '../formats/npy/npy.js';
import { TsObject, type TsValue } from '../ir/torchscript-values.js';
import { pyRepr } from '../../ops/aten/py-values.js';
import { Tensor } from '../tensor.js';
import { buildFeeds, takeInputFlag } from './feeds.js';
import { CannotWriteError, type Io, UsageError, jsonDocument } from './io.js';
import { type TensorStats, formatStats, tensorStats } from './stats.js';
import { type StepRecord, type StepValue, openTracedRun } from './traced-run.js';

export interface TraceArgs {
  readonly model: string;
  readonly inputs: ReadonlyMap<string, string>;
  readonly dump?: string;
  readonly untilNan: boolean;
  readonly json: boolean;
  readonly providers?: readonly string[];
}

export function parseTraceArgs(args: readonly string[]): TraceArgs {
  let model: string | undefined;
  const inputs = new Map<string, string>();
  let dump: string | undefined;
  let untilNan = false;
  let json = false;
  let providers: string[] | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--input' || a === '-i') i = takeInputFlag(args, i, inputs);
    else if (a === '--dump') {
      dump = args[++i];
      if (!dump) throw new UsageError('--dump needs a directory');
    } else if (a === '--until-nan') untilNan = true;
    else if (a === '--json') json = true;
    else if (a === '--ep') {
      const v = args[++i];
      if (!v) throw new UsageError('--ep needs a backend name or list, such as wasm, cpu or wasm,cpu');
      providers = v.split(',').map((x) => x.trim()).filter((x) => x !== '');
    } else if (a.startsWith('-')) throw new UsageError(`trace: unknown option '${a}'`);
    else if (model === undefined) model = a;
    else throw new UsageError(`trace: unexpected argument '${a}'`);
  }
  if (!model) throw new UsageError('trace needs a MODEL path');
  return { model, inputs, untilNan, json, ...(dump ? { dump } : {}), ...(providers ? { providers } : {}) };
}

/** What trace reports of a value: a tensor's stats, a list's items, or a short text for anything else. */
export type TracedValue =
  | ({ readonly name: string; readonly file?: string } & TensorStats)
  | { readonly name: string; readonly items: readonly TensorStats[] }
  | { readonly name: string; readonly value: string };

export function describeStepValue(name: string, v: StepValue): TracedValue {
  if (v instanceof Tensor) return { name, ...tensorStats(v) };
  if (Array.isArray(v) && v.every((x) => x instanceof Tensor)) return { name, items: (v as Tensor[]).map(tensorStats) };
  if (v === null || v === undefined) return { name, value: 'None' };
  if (v instanceof TsObject) return { name, value: v.className.replace(/^__torch__\./, '') };
  const s = pyRepr(v as TsValue);
  return { name, value: s.length > 60 ? `${s.slice(0, 57)}...` : s };
}

function formatValue(v: TracedValue): string {
  if ('dtype' in v) return `${formatStats(v)}${v.file ? `  -> ${v.file}` : ''}`;
  if ('items' in v) return `list (${v.items.length})${v.items.length ? `: ${v.items.slice(0, 4).map(formatStats).join('; ')}${v.items.length > 4 ? '; ...' : ''}` : ''}`;
  return v.value;
}

/** A step's value as a file name inside DIR: only [A-Za-z0-9._-], never starting with a dot, at most 120 characters. */
export function dumpFileName(index: number, label: string): string {
  const safe = label.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_').slice(0, 120);
  return `${String(index).padStart(4, '0')}_${safe}.npy`;
}

export interface TracedStep {
  readonly index: number;
  readonly op: string;
  readonly node?: string;
  readonly where?: string;
  readonly depth: number;
  readonly inputs: readonly TracedValue[];
  readonly outputs: readonly TracedValue[];
}

export async function traceCommand(argv: readonly string[], io: Io): Promise<number> {
  const args = parseTraceArgs(argv);
  const traced = await openTracedRun(args.model, args.providers ? { providers: args.providers } : {});
  const notes: string[] = [];
  const say = (line: string) => (args.json ? notes.push(line) : io.out(line));
  const feeds = await buildFeeds(traced.session, args.inputs, say);
  const dir = args.dump ? resolve(args.dump) : undefined;
  if (dir) {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw new CannotWriteError(args.dump!, e);
    }
  }
  const steps: TracedStep[] = [];
  let firstNan: TracedStep | undefined;
  const { outputs, stopped } = await traced.run(feeds, (s: StepRecord) => {
    const outs = s.outputs.map(([name, v], k) => {
      const d = describeStepValue(name, v);
      if (!dir || !(v instanceof Tensor)) return d;
      const label = traced.format === 'onnx' ? name : `${s.op}_${k}`;
      const file = resolve(dir, dumpFileName(s.index, label));
      if (!file.startsWith(dir + sep)) throw new UsageError(`--dump: '${label}' would be written outside ${dir}`);
      let bytes: Uint8Array;
      try {
        bytes = writeNpy(v);
      } catch {
        return d; // a dtype .npy cannot hold (strings): described, not written
      }
      try {
        writeFileSync(file, bytes);
      } catch (e) {
        throw new CannotWriteError(file, e);
      }
      return { ...d, file };
    });
    const step: TracedStep = {
      index: s.index, op: s.op, depth: s.depth,
      ...(s.node ? { node: s.node } : {}), ...(s.where ? { where: s.where } : {}),
      inputs: s.inputs.map(([name, v]) => describeStepValue(name, v)), outputs: outs,
    };
    if (args.json) steps.push(step);
    else for (const l of formatStep(step)) io.out(l);
    const nan = outs.some((o) => ('dtype' in o && o.nan > 0) || ('items' in o && o.items.some((i) => i.nan > 0)));
    if (nan && !firstNan) firstNan = step;
    return nan && args.untilNan;
  });
  const where = (s: TracedStep) => `step ${s.index} ${s.op}${s.node ? ` '${s.node}'` : ''}${s.where ? ` at ${s.where}` : ''}`;
  if (stopped) say(`stopped at the first NaN: ${where(firstNan!)}`);
  else {
    if (!args.json) for (const [name, t] of Object.entries(outputs)) io.out(`output ${name}: ${formatStats(tensorStats(t))}`);
    if (firstNan) say(`first NaN: ${where(firstNan)}`);
  }
  if (args.json) {
    io.out(jsonDocument({
      model: args.model, format: traced.format, backend: traced.backend,
      inputs: Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, tensorStats(t)])),
      steps,
      outputs: Object.fromEntries(Object.entries(outputs).map(([k, t]) => [k, tensorStats(t)])),
      stopped, ...(firstNan ? { firstNan: { index: firstNan.index, op: firstNan.op, node: firstNan.node, where: firstNan.where } } : {}),
      notes,
    }));
  }
  return 0;
}

function formatStep(s: TracedStep): string[] {
  const pad = '  '.repeat(s.depth);
  const lines = [`${pad}[${s.index}] ${s.op}${s.node ? ` '${s.node}'` : ''}${s.where ? `  at ${s.where}` : ''}`];
  const w = Math.min(32, Math.max(4, ...[...s.inputs, ...s.outputs].map((v) => v.name.length)));
  for (const v of s.inputs) lines.push(`${pad}    in  ${v.name.padEnd(w)}  ${formatValue(v)}`);
  for (const v of s.outputs) lines.push(`${pad}    out ${v.name.padEnd(w)}  ${formatValue(v)}`);
  return lines;
}
