// Runs one (possibly mutated) input through tessera's public entry points and classifies what
// happened:
//   ok     loading and running returned (or the run was skipped because the harness itself would
//          have to allocate an absurd input tensor)
//   typed  a TesseraError subclass (src/errors.ts) whose cause chain holds no untyped error
//   bug    anything else: a TypeError/RangeError/'Maximum call stack' thrown bare, or wrapped as the
//          cause of a TesseraError (execute.ts wraps kernel exceptions in ExecutionError), or any
//          throw from scanPickle, which is documented to report malformed input, never throw.
// ONNX: InferenceSession.create, then run with the seed's reference feeds or small random tensors
// built from the declared input metadata. TorchScript: create, then call the seed's method on its
// reference inputs; scanPickle too. Pickles: torchLoad, then scanPickle.

import { getHeapStatistics } from 'node:v8';
import { TsTuple, type TsValue } from '../../ops/aten/aten-op.js';
import { DATA_TYPES, type DataType } from '../../src/dtypes.js';
import { TesseraError } from '../../src/errors.js';
import { scanPickle, torchLoad } from '../../src/formats/pickle/index.js';
import { InferenceSession, type ValueMetadata } from '../../src/api/session.js';
import { Tensor } from '../../src/tensor.js';
import type { Value } from '../../src/value.js';
import type { Seed } from './corpus.js';
import { Rng } from './rng.js';

export type OutcomeKind = 'ok' | 'typed' | 'bug';
export type Stage = 'create' | 'run' | 'load' | 'scan';

export interface ErrorInfo {
  readonly name: string;
  readonly code?: string;
  readonly message: string;
  readonly stack?: string;
  /** The untyped error inside a TesseraError's cause chain, when there is one. */
  readonly cause?: ErrorInfo;
}

export interface Outcome {
  readonly kind: OutcomeKind;
  /** Where the outcome was decided: the last stage reached. */
  readonly stage: Stage;
  readonly error?: ErrorInfo;
  /** Why a run was skipped, when it was. */
  readonly note?: string;
  readonly ms: number;
  /** JS heap and external (ArrayBuffer) growth over the case, in bytes; garbage included. */
  readonly heapGrowth: number;
  readonly externalGrowth: number;
}

/** What a case runs on: the seed's format and reference inputs. */
export type CaseContext = Pick<Seed, 'format' | 'feeds' | 'method' | 'cases'>;

/**
 * Inputs the harness will build. The caller, not the file, chooses input sizes, so a model that
 * declares bigger inputs is loaded but not run: a slow run on a big input is not a finding.
 */
const MAX_INPUT_ELEMENTS = 4096;

function info(e: unknown): ErrorInfo {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return { name: e.name, ...(typeof code === 'string' ? { code } : {}), message: e.message, ...(e.stack ? { stack: e.stack } : {}) };
  }
  return { name: typeof e, message: String(e) };
}

/** The first non-TesseraError in `e`'s cause chain, if any. */
function untypedCause(e: TesseraError): unknown {
  let c: unknown = e.cause;
  for (let depth = 0; c !== undefined && depth < 16; depth++) {
    if (!(c instanceof TesseraError)) return c;
    c = c.cause;
  }
  return undefined;
}

function classify(e: unknown): { kind: OutcomeKind; error: ErrorInfo } {
  if (e instanceof TesseraError) {
    const cause = untypedCause(e);
    return cause === undefined ? { kind: 'typed', error: info(e) } : { kind: 'bug', error: { ...info(e), cause: info(cause) } };
  }
  return { kind: 'bug', error: info(e) };
}

/** A fresh copy, so in-place ops in one call cannot change the seed's reference inputs. */
function cloneValue(v: TsValue): TsValue {
  if (v instanceof Tensor) return new Tensor(v.type, Array.isArray(v.data) ? [...v.data] : v.data.slice(), v.dims);
  if (Array.isArray(v)) return v.map(cloneValue);
  if (v instanceof TsTuple) return new TsTuple(v.items.map(cloneValue), v.names);
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [k, cloneValue(x)]));
  return v;
}

function randomTensor(type: DataType, dims: number[], rng: Rng): Tensor {
  const n = dims.reduce((a, b) => a * b, 1);
  if (type === 'string') return new Tensor('string', Array.from({ length: n }, () => rng.pick(['', 'a', 'hello'])), dims);
  const Ctor = DATA_TYPES[type].array!;
  const slots = DATA_TYPES[type].slots;
  const data = new Ctor(n * slots);
  for (let i = 0; i < data.length; i++) {
    // Small values: valid indices for Gather/embeddings, finite for floats, 0/1 for bool.
    const x = rng.int(4);
    if (data instanceof BigInt64Array || data instanceof BigUint64Array) data[i] = BigInt(x);
    else if (type === 'bool') data[i] = x & 1;
    else if (type === 'float16' || type === 'bfloat16') data[i] = 0;
    else if (data instanceof Float32Array || data instanceof Float64Array) data[i] = (rng.u32() / 2 ** 32) * 2 - 1;
    else data[i] = x;
  }
  return new Tensor(type, data, dims);
}

/** Feeds for an ONNX session: the seed's reference tensor when it fits the declared type, else small random data. */
function onnxFeeds(meta: readonly ValueMetadata[], ctx: CaseContext): { feeds: Record<string, Value>; note?: string } {
  const rng = new Rng(0x5eed);
  const feeds: Record<string, Value> = {};
  for (const m of meta) {
    if (!m.isTensor) continue; // sequences/maps/optionals: left missing, the session must say so
    const ref = ctx.feeds?.get(m.name);
    const type = (m.type ?? 'float32') as DataType;
    if (ref && ref.type === type && (!m.shape || (m.shape.length === ref.rank && m.shape.every((d, i) => typeof d !== 'number' || d <= 0 || d === ref.dims[i])))) {
      feeds[m.name] = cloneValue(ref) as Tensor;
      continue;
    }
    if (!Object.hasOwn(DATA_TYPES, type) || (DATA_TYPES[type].array === null && type !== 'string')) continue;
    const dims = (m.shape ?? [2]).map((d) => (typeof d === 'number' && d >= 0 ? d : 2));
    const n = dims.reduce((a, b) => a * b, 1);
    if (!(n <= MAX_INPUT_ELEMENTS)) return { feeds, note: `run skipped: input '${m.name}' declares [${dims.join(', ')}]` };
    feeds[m.name] = randomTensor(type, dims, rng);
  }
  return { feeds };
}

async function runModel(bytes: Uint8Array, ctx: CaseContext, stage: { at: Stage }): Promise<string | undefined> {
  stage.at = 'create';
  const session = await InferenceSession.create(bytes);
  stage.at = 'run';
  if (session.format === 'torchscript') {
    const mod = session.module!;
    for (const args of ctx.cases ?? []) mod.call(ctx.method ?? 'forward', args.map(cloneValue));
    return ctx.cases?.length ? undefined : 'run skipped: no reference inputs for a TorchScript module';
  }
  const { feeds, note } = onnxFeeds(session.inputMetadata, ctx);
  if (note) return note;
  await session.runValues(feeds);
  return undefined;
}

/** Runs `bytes` through the entry points for `ctx.format` and classifies the outcome. */
export async function runCase(bytes: Uint8Array, ctx: CaseContext): Promise<Outcome> {
  const heap0 = getHeapStatistics();
  const t0 = performance.now();
  const stage: { at: Stage } = { at: ctx.format === 'pickle' ? 'load' : 'create' };
  let kind: OutcomeKind = 'ok';
  let error: ErrorInfo | undefined;
  let note: string | undefined;
  try {
    if (ctx.format === 'pickle') torchLoad(bytes);
    else note = await runModel(bytes, ctx, stage);
  } catch (e) {
    ({ kind, error } = classify(e));
  }
  if (kind !== 'bug' && ctx.format !== 'onnx') {
    // scanPickle reports malformed input in its result; a throw of any kind is a bug.
    try {
      scanPickle(bytes);
    } catch (e) {
      stage.at = 'scan';
      kind = 'bug';
      error = info(e);
    }
  }
  const heap1 = getHeapStatistics();
  return {
    kind, stage: stage.at, ...(error ? { error } : {}), ...(note ? { note } : {}),
    ms: performance.now() - t0,
    heapGrowth: heap1.used_heap_size - heap0.used_heap_size,
    externalGrowth: heap1.external_memory - heap0.external_memory,
  };
}

/** The first stack frame inside tessera's own code (src/, ops/, kernels/), as 'ops/onnx/shape.ts:12'. */
export function topFrame(stack: string | undefined): string {
  for (const line of (stack ?? '').split('\n').slice(1)) {
    const m = /((?:src|ops|kernels)\/[\w./-]+\.ts):(\d+)/.exec(line);
    if (m) return `${m[1]}:${m[2]}`;
  }
  return '?';
}

/**
 * A failure's class, for de-duplication: outcome kind, stage, error name, tessera's top frame and
 * the message with numbers, quoted names and traceback lines removed.
 */
export function failureClass(o: Pick<Outcome, 'kind' | 'stage' | 'error'>, label = o.kind as string): string {
  const e = o.error?.cause ?? o.error;
  const msg = (e?.message ?? '').split('\n')[0]!
    .replace(/'[^']*'|"[^"]*"/g, 'Q')
    .replace(/-?\d+(\.\d+)?(e[-+]?\d+)?/gi, 'N')
    .slice(0, 80);
  const wrapped = o.error?.cause ? ` (wrapped in ${o.error.name})` : '';
  // A stack overflow's top frame is wherever the stack ran out: keep only the file.
  const frame = /Maximum call stack/.test(msg) ? topFrame(e?.stack).replace(/:\d+$/, '') : topFrame(e?.stack);
  return `${label} ${o.stage}: ${e?.name ?? ''}${wrapped} at ${frame}: ${msg}`;
}
