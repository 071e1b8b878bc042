// Runs ONE case of the hostile corpus (test/hostile/corpus/cases.json) in this process, against
// the BUILT package (dist/), and prints one JSON line:
//
//   { "case", "stage", "outcome": { "error": { name, code, limit, value, max, message } } | { "ok": { outputs | value } },
//     "scan"?, "scanMs"?, "ms", "cpuMs", "maxRssKiB" }
//
// `ms` is the case's own wall time: from after the package is loaded and the case's files are set
// up (temp copy, symlinks) to its outcome (for a pickle: torchLoad, then scanPickle, whose part is
// `scanMs`); `cpuMs` the CPU time the process spent in that span (all threads, GC included). `maxRssKiB` is process.resourceUsage().maxRSS: the peak
// resident memory of the whole process, ArrayBuffers outside the JS heap included.
//
//   node test/hostile/run-case.mjs <case name>
//
// Exit code 0 when the case ran to an outcome (whatever it was), 2 on a usage or setup problem.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const CORPUS = join(here, 'corpus');
const DIST = join(here, '..', '..', 'dist', 'src', 'node.js');

function fail(message) {
  process.stdout.write(`${JSON.stringify({ setupError: message })}\n`);
  process.exit(2);
}

const name = process.argv[2];
if (!name) fail('usage: node test/hostile/run-case.mjs <case name>');
if (!existsSync(DIST)) fail(`${DIST} is missing: run \`npm run build\` first`);
const { cases } = JSON.parse(readFileSync(join(CORPUS, 'cases.json'), 'utf8'));
const c = cases.find((x) => x.name === name);
if (!c) fail(`no case named '${name}' in cases.json`);

// The Node entry, and the package's PyTorch entries (tessera/torchscript, tessera/pickle) beside it.
const tessera = {
  ...await import(pathToFileURL(DIST).href),
  ...await import(pathToFileURL(join(dirname(DIST), 'torchscript.js')).href),
  ...await import(pathToFileURL(join(dirname(DIST), 'pickle.js')).href),
};

/** The bytes of a committed corpus file, inflated when stored gzipped. */
function corpusBytes(file) {
  const raw = readFileSync(join(CORPUS, file));
  return new Uint8Array(file.endsWith('.gz') ? gunzipSync(raw) : raw);
}

function feedsOf(spec) {
  const feeds = {};
  for (const [k, f] of Object.entries(spec ?? {})) {
    const n = f.dims.reduce((a, b) => a * b, 1);
    let data;
    if (f.dtype === 'string') data = (f.data ?? new Array(n).fill(f.fill)).map((v) => (typeof v === 'string' ? v : v.repeat.repeat(v.times) + (v.suffix ?? '')));
    else if (f.dtype === 'int64') data = BigInt64Array.from(f.data ?? new Array(n).fill(f.fill), (v) => BigInt(v));
    else if (f.dtype === 'bool') data = Uint8Array.from(f.data ?? new Array(n).fill(f.fill), (v) => (v ? 1 : 0));
    else if (f.dtype === 'float32') data = f.data ? Float32Array.from(f.data) : new Float32Array(n).fill(f.fill);
    else if (f.dtype === 'float64') data = f.data ? Float64Array.from(f.data) : new Float64Array(n).fill(f.fill);
    else fail(`case ${c.name}: feed dtype ${f.dtype} is not supported by the runner`);
    feeds[k] = new tessera.Tensor(f.dtype, data, f.dims);
  }
  return feeds;
}

/** A tensor as JSON: bool as true/false, 64-bit ints as decimal strings; at most 64 elements shown. */
function tensorJson(t) {
  const shown = [];
  const max = Math.min(t.size, 64);
  for (let i = 0; i < max; i++) {
    const v = t.data[i];
    shown.push(t.type === 'bool' ? v !== 0 && v !== false : typeof v === 'bigint' ? v.toString() : v);
  }
  return { dtype: t.type, dims: [...t.dims], data: shown, ...(t.size > max ? { size: t.size } : {}) };
}

function valueJson(v) {
  return JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x instanceof Map ? Object.fromEntries(x) : x)));
}

const round = (x) => Math.round(x * 10) / 10;

function errorJson(e) {
  if (!(e instanceof Error)) return { name: typeof e, message: String(e) };
  const out = { name: e.name, code: e.code, message: e.message };
  if ('limit' in e) Object.assign(out, { limit: e.limit, value: e.value, max: e.max });
  return out;
}

const limits = c.limits === 'default' ? undefined : c.limits.overrides;
let workDir;
let result;
try {
  // ---- setup (not timed) ----
  let modelPath;
  let bytes;
  if (c.kind === 'onnx') {
    workDir = mkdtempSync(join(tmpdir(), 'tessera-hostile-'));
    modelPath = join(workDir, c.file.replace(/\.gz$/, ''));
    writeFileSync(modelPath, corpusBytes(c.file));
    for (const f of c.setup?.files ?? []) writeFileSync(join(workDir, f.to), corpusBytes(f.from));
    for (const d of c.setup?.dirs ?? []) mkdirSync(join(workDir, d));
    for (const s of c.setup?.symlinks ?? []) symlinkSync(s.target, join(workDir, s.path));
  } else {
    bytes = corpusBytes(c.file);
  }
  const feeds = feedsOf(c.feeds);

  // ---- the case ----
  let stage = c.kind === 'pickle' ? 'torchLoad' : 'create';
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let outcome;
  let scan;
  let scanMs;
  try {
    if (c.kind === 'pickle') {
      outcome = { ok: { value: valueJson(tessera.torchLoad(bytes, { limits })) } };
    } else {
      const session = c.kind === 'onnx'
        ? await tessera.InferenceSession.create(modelPath, { limits })
        : tessera.createTorchScriptSession(bytes, { limits });
      stage = 'run';
      const out = await session.run(feeds);
      outcome = { ok: { outputs: Object.fromEntries(Object.entries(out).map(([k, t]) => [k, tensorJson(t)])) } };
    }
  } catch (e) {
    outcome = { error: errorJson(e) };
  }
  if (c.kind === 'pickle') {
    const s0 = performance.now();
    try {
      scan = tessera.scanPickle(bytes, { limits }).verdict;
    } catch (e) {
      scan = { threw: errorJson(e) };
    }
    scanMs = round(performance.now() - s0);
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  result = {
    case: c.name, stage, outcome, ...(scan !== undefined ? { scan, scanMs } : {}),
    ms: round(ms), cpuMs: round((cpu.user + cpu.system) / 1000), maxRssKiB: process.resourceUsage().maxRSS,
  };
} finally {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
}
process.stdout.write(`${JSON.stringify(result)}\n`);
