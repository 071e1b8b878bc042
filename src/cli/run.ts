// `tessera run MODEL --input NAME=FILE ... [--out DIR]`.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DATA_TYPES, type DataType, isDataType } from '../dtypes.js';
import { decodeTensorProto } from '../formats/onnx/load.js';
import { parseNpy, writeNpy } from '../formats/npy/npy.js';
import { InferenceSession } from '../api/session.js';
import { readRegularFile } from '../node.js'; // also installs the reader of model paths (external data confined to the model's folder)
import type { ResourceLimits } from '../limits.js';
import { Tensor } from '../tensor.js';
import { UsageError, type Io } from './io.js';
import { float16BitsToNumber } from '../../kernels/float16.js';
import { formatProfile } from '../runtime/profile.js';
import { loadProgressLine } from './load-progress.js';

interface RunArgs {
  model: string; inputs: Map<string, string>; out?: string; limits: Partial<Record<keyof ResourceLimits, number>>;
  /** --profile [RUNS]: runs profiled after one warm-up run (0: no profile). */
  profileRuns: number;
  /** --ep NAME[,NAME]: executionProviders ('wasm', 'cpu'); absent: the default choice. */
  providers?: string[];
}

const SUFFIXES = new Map([['', 1], ['K', 2 ** 10], ['M', 2 ** 20], ['G', 2 ** 30], ['T', 2 ** 40]]);

/** '512M', '4G', '1.5G', '1024' (bytes; K/M/G/T are powers of 1024, an optional B is allowed). */
export function parseBytes(flag: string, v: string | undefined): number {
  const m = v === undefined ? null : /^([0-9]+(?:\.[0-9]+)?)\s*([kmgt]?)(i?b)?$/i.exec(v.trim());
  if (!m) throw new UsageError(`${flag} needs a size in bytes such as 1073741824, 512M or 4G, got '${v ?? ''}'`);
  return Math.floor(Number(m[1]) * SUFFIXES.get(m[2]!.toUpperCase())!);
}

function parseCount(flag: string, v: string | undefined): number {
  if (v === undefined || !/^[0-9]+$/.test(v)) throw new UsageError(`${flag} needs a whole number, got '${v ?? ''}'`);
  return Number(v);
}

/** The limit flags `run` accepts, and the ResourceLimits each sets. */
const LIMIT_FLAGS = new Map<string, [keyof ResourceLimits, (flag: string, v: string | undefined) => number]>([
  ['--max-memory', ['maxMemoryBytes', parseBytes]],
  ['--max-tensor-elements', ['maxTensorElements', parseCount]],
  ['--max-loop-iterations', ['maxLoopIterations', parseCount]],
  ['--timeout', ['timeoutMs', parseCount]],
]);

export function parseRunArgs(args: string[]): RunArgs {
  let model: string | undefined;
  const inputs = new Map<string, string>();
  let out: string | undefined;
  const limits: RunArgs['limits'] = {};
  let profileRuns = 0;
  let providers: string[] | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const limitFlag = LIMIT_FLAGS.get(a);
    if (limitFlag) {
      const [name, parse] = limitFlag;
      limits[name] = parse(a, args[++i]);
    } else if (a === '--input' || a === '-i') {
      const v = args[++i];
      const eq = v?.indexOf('=') ?? -1;
      if (!v || eq <= 0) throw new UsageError(`--input needs NAME=FILE.npy|FILE.pb, got '${v ?? ''}'`);
      inputs.set(v.slice(0, eq), v.slice(eq + 1));
    } else if (a === '--profile') {
      const v = args[i + 1];
      if (v !== undefined && /^[0-9]+$/.test(v)) {
        profileRuns = Number(v);
        i++;
        if (profileRuns < 1) throw new UsageError('--profile RUNS needs at least 1 run');
      } else profileRuns = 5;
    } else if (a === '--ep') {
      const v = args[++i];
      if (!v) throw new UsageError("--ep needs a backend name or list, such as wasm, cpu or wasm,cpu");
      providers = v.split(',').map((x) => x.trim()).filter((x) => x !== '');
    } else if (a === '--out' || a === '-o') {
      out = args[++i];
      if (!out) throw new UsageError('--out needs a directory');
    } else if (a.startsWith('-')) {
      throw new UsageError(`unknown option '${a}'`);
    } else if (model === undefined) {
      model = a;
    } else {
      throw new UsageError(`unexpected argument '${a}'`);
    }
  }
  if (!model) throw new UsageError('run needs a MODEL path');
  return { model, inputs, out, limits, profileRuns, ...(providers ? { providers } : {}) };
}

/** xorshift32: deterministic pseudo-random inputs for models run without --input. */
function randomTensor(type: DataType | undefined, dims: number[], seed: number): Tensor {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
  const t = type ?? 'float32';
  const n = dims.reduce((a, b) => a * b, 1);
  if (t === 'float32' || t === 'float64') {
    const data = t === 'float32' ? new Float32Array(n) : new Float64Array(n);
    for (let i = 0; i < n; i++) data[i] = next() * 2 - 1;
    return new Tensor(t, data, dims);
  }
  if (t === 'bool') return new Tensor('bool', Uint8Array.from({ length: n }, () => (next() < 0.5 ? 0 : 1)), dims);
  if (t === 'int64') return new Tensor('int64', BigInt64Array.from({ length: n }, () => BigInt(Math.floor(next() * 10))), dims);
  if (t === 'string') return new Tensor('string', Array.from({ length: n }, () => 'x'), dims);
  const z = Tensor.zeros(t, dims);
  const d = z.data as Uint8Array;
  if (DATA_TYPES[t].array === Float32Array || t === 'float16' || t === 'bfloat16') return z;
  for (let i = 0; i < d.length; i++) d[i] = Math.floor(next() * 10);
  return z;
}

function stats(t: Tensor): string {
  if (t.type === 'string' || t.size === 0) return '';
  const vals = t.type === 'float16' ? Array.from(t.data as Uint16Array, float16BitsToNumber) : t.toNumbers();
  let min = Infinity, max = -Infinity, sum = 0;
  for (const v of vals) { if (v < min) min = v; if (v > max) max = v; sum += v; }
  const f = (x: number) => (Number.isInteger(x) ? String(x) : x.toPrecision(6));
  return `  min ${f(min)}  max ${f(max)}  mean ${f(sum / vals.length)}`;
}

export async function runCommand(argv: string[], io: Io): Promise<void> {
  const args = parseRunArgs(argv);
  const onProgress = loadProgressLine(process.stderr);
  const session = await InferenceSession.create(args.model, {
    limits: args.limits, ...(args.providers ? { executionProviders: args.providers } : {}), ...(onProgress ? { onProgress } : {}),
  });
  for (const k of args.inputs.keys()) {
    if (!session.inputNames.includes(k)) throw new UsageError(`'${k}' is not an input of the model (inputs: ${session.inputNames.join(', ')})`);
  }
  const feeds: Record<string, Tensor> = {};
  let seed = 1;
  for (const meta of session.inputMetadata) {
    const path = args.inputs.get(meta.name);
    if (path) {
      const bytes = await readRegularFile(path, args.limits);
      feeds[meta.name] = path.endsWith('.npy') ? parseNpy(bytes, path) : decodeTensorProto(bytes, path);
    } else {
      if (!meta.isTensor || !isDataType(meta.type) || !meta.shape) {
        throw new UsageError(`input '${meta.name}' declares no tensor type and shape (${meta.type ?? 'unknown'}): give it with --input ${meta.name}=FILE.npy`);
      }
      const dims = meta.shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1));
      feeds[meta.name] = randomTensor(meta.type as DataType | undefined, dims, seed++);
      io.out(`input ${meta.name}: random ${meta.type}[${dims.join(', ')}]`);
    }
  }
  const t0 = performance.now();
  const outputs = await session.run(feeds);
  const ms = performance.now() - t0;
  if (args.out) await mkdir(args.out, { recursive: true });
  for (const [name, t] of Object.entries(outputs)) {
    io.out(`output ${name}: ${t.type}[${t.dims.join(', ')}]${stats(t)}`);
    if (args.out) {
      const safe = name.replace(/[^A-Za-z0-9._-]/g, '_');
      await writeFile(join(args.out, `${safe}.npy`), writeNpy(t));
    }
  }
  io.out(`ran in ${ms.toFixed(2)} ms (backend: ${session.backend})`);
  if (args.profileRuns > 0) {
    if (session.format !== 'onnx') {
      io.out('--profile: per-node profiles cover ONNX models only');
      return;
    }
    session.startProfiling();
    for (let r = 0; r < args.profileRuns; r++) await session.run(feeds);
    for (const line of formatProfile(session.endProfiling())) io.out(line);
  }
}
