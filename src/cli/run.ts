// `tessera run MODEL --input NAME=FILE ... [--out DIR]`.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeNpy } from '../formats/npy/npy.js';
import { InferenceSession } from '../api/session.js';
import '../node.js'; // installs the reader of model paths (external data confined to the model's folder)
import type { ResourceLimits } from '../limits.js';
import { UsageError, type Io, jsonDocument, writing } from './io.js';
import { formatProfile } from '../runtime/profile.js';
import { buildFeeds, takeInputFlag } from './feeds.js';
import { loadProgressLine } from './load-progress.js';
import { formatStats, tensorStats } from './stats.js';

interface RunArgs {
  model: string; inputs: Map<string, string>; out?: string; limits: Partial<Record<keyof ResourceLimits, number>>;
  /** --profile [RUNS]: runs profiled after one warm-up run (0: no profile). */
  profileRuns: number;
  /** --ep NAME[,NAME]: executionProviders ('wasm', 'cpu'); absent: the default choice. */
  providers?: string[];
  /** --json: one JSON document on stdout instead of lines. */
  json: boolean;
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
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const limitFlag = LIMIT_FLAGS.get(a);
    if (limitFlag) {
      const [name, parse] = limitFlag;
      limits[name] = parse(a, args[++i]);
    } else if (a === '--input' || a === '-i') {
      i = takeInputFlag(args, i, inputs);
    } else if (a === '--json') {
      json = true;
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
  return { model, inputs, out, limits, profileRuns, json, ...(providers ? { providers } : {}) };
}

export async function runCommand(argv: string[], io: Io): Promise<void> {
  const args = parseRunArgs(argv);
  const onProgress = loadProgressLine(process.stderr);
  const session = await InferenceSession.create(args.model, {
    limits: args.limits, ...(args.providers ? { executionProviders: args.providers } : {}), ...(onProgress ? { onProgress } : {}),
  });
  const notes: string[] = [];
  const say = (line: string) => (args.json ? notes.push(line) : io.out(line));
  const feeds = await buildFeeds(session, args.inputs, say, args.limits);
  const t0 = performance.now();
  const outputs = await session.run(feeds);
  const ms = performance.now() - t0;
  if (args.out) await writing(args.out, () => mkdir(args.out!, { recursive: true }));
  const written: Record<string, string> = {};
  for (const [name, t] of Object.entries(outputs)) {
    if (!args.json) io.out(`output ${name}: ${formatStats(tensorStats(t))}`);
    if (args.out) {
      const file = join(args.out, `${name.replace(/[^A-Za-z0-9._-]/g, '_')}.npy`);
      await writing(file, () => writeFile(file, writeNpy(t)));
      written[name] = file;
    }
  }
  say(`ran in ${ms.toFixed(2)} ms (backend: ${session.backend})`);
  let profile;
  if (args.profileRuns > 0) {
    if (session.format !== 'onnx') say('--profile: per-node profiles cover ONNX models only');
    else {
      session.startProfiling();
      for (let r = 0; r < args.profileRuns; r++) await session.run(feeds);
      profile = session.endProfiling();
      if (!args.json) for (const line of formatProfile(profile)) io.out(line);
    }
  }
  if (args.json) {
    io.out(jsonDocument({
      model: args.model, format: session.format, backend: session.backend, ms,
      inputs: Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, { ...tensorStats(t), random: !args.inputs.has(k) }])),
      outputs: Object.fromEntries(Object.entries(outputs).map(([k, t]) => [k, { ...tensorStats(t), ...(written[k] ? { file: written[k] } : {}) }])),
      ...(profile ? { profile } : {}),
      notes,
    }));
  }
}
