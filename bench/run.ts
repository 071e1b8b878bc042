// `npm run bench -- [--only NAME,NAME] [--runs N] [--size 96|224] [--runtimes A,B] [--budget S] [--threads N]`
//
// In one process, runs the same models and inputs through tessera (ONNX on its JS and its wasm
// kernels, and TorchScript for whole models), onnxruntime-web (wasm) and onnxruntime-node (native
// CPU EP), on one thread, and with --threads N also tessera-wasm-Nt and ort-node-Nt (ort-web then
// runs on N threads throughout: its thread count is process-wide). Runs are
// interleaved across runtimes, round by round with a rotating start, because the machine is shared
// and noisy; the tables give median and min. Markdown on stdout, progress on stderr.
// See bench/RESULTS.md for a recorded run and what each column means.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cpus, loadavg, totalmem } from 'node:os';
import { GENERATE_COMMAND, matmul, workloads, type Workload } from './workloads.js';
import { ortRuntime, tesseraRuntime, type BenchSession, type Runtime } from './runtimes.js';
import type { SessionOptions } from '../src/node.js';

interface Options {
  only: string[] | null;
  runs: number;
  sizes: number[];
  runtimes: string[] | null;
  budgetMs: number;
  threads: number;
}

const USAGE = 'usage: npm run bench -- [--only NAME,NAME] [--runs MIN_ROUNDS] [--size 96|224] ' +
  '[--runtimes tessera-js,tessera-wasm,tessera-ts,tessera-ts-js,ort-web,ort-node[,tessera-wasm-Nt,ort-node-Nt]] [--budget SECONDS] [--threads N]';

function parseArgs(argv: string[]): Options {
  const o: Options = { only: null, runs: 20, sizes: [96, 224], runtimes: null, budgetMs: 60_000, threads: 1 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    const positive = (v: string) => {
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag}: expected a positive number, got '${v}'`);
      return n;
    };
    if (flag === '--only') o.only = value().split(',').filter(Boolean);
    else if (flag === '--runs') o.runs = Math.floor(positive(value()));
    else if (flag === '--size') o.sizes = value().split(',').map(positive);
    else if (flag === '--runtimes') o.runtimes = value().split(',').filter(Boolean);
    else if (flag === '--budget') o.budgetMs = positive(value()) * 1000;
    else if (flag === '--threads') o.threads = Math.floor(positive(value()));
    else if (flag === '--help' || flag === '-h') { console.log(USAGE); process.exit(0); }
    else throw new Error(`unknown argument '${flag}'\n${USAGE}`);
  }
  return o;
}

/** `resnet18` selects every size of it; `resnet18@224` one. */
function selected(w: Workload, only: string[] | null): boolean {
  return !only || only.some((n) => w.name === n || w.name.startsWith(`${n}@`));
}

const MIN_MS = 3000;
const MAX_ROUNDS = 500;
const rssMb = () => process.memoryUsage().rss / 2 ** 20;
const gc = (globalThis as { gc?: () => void }).gc;
const progress = (s: string) => process.stderr.write(`${s}\n`);

interface Row {
  runtime: Runtime;
  session?: BenchSession;
  error?: string;
  createMs?: number;
  firstMs?: number;
  rssDeltaMb?: number;
  rssAfterMb?: number;
  output?: Float64Array;
  times: number[];
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const min = (xs: number[]) => Math.min(...xs);
const fmt = (x: number | undefined, digits = 2) => (x === undefined || !Number.isFinite(x) ? '—' : x < 10 ? x.toFixed(digits) : x.toFixed(1));

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  if (a.length !== b.length) return NaN;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

interface Result { name: string; times: Map<string, { median: number; min: number }>; flops?: number }

async function bench(w: Workload, runtimes: Runtime[], o: Options, peak: { rss: number }): Promise<Result | null> {
  const rows: Row[] = [];
  const absent = new Set<string>();
  const onnx = w.onnx;
  const torchscript = runtimes.some((r) => r.format === 'torchscript') ? w.torchscript : undefined;
  for (const rt of runtimes) {
    const bytes = rt.format === 'onnx' ? onnx : torchscript;
    if (bytes === undefined) continue;
    if (!(bytes instanceof Uint8Array)) { absent.add(bytes.absent); continue; }
    const row: Row = { runtime: rt, times: [] };
    rows.push(row);
    gc?.();
    const before = rssMb();
    try {
      progress(`${w.name}: ${rt.name} create`);
      let t = performance.now();
      row.session = await rt.create(bytes, w.feeds);
      row.createMs = performance.now() - t;
      t = performance.now();
      const out = await row.session.run();
      row.firstMs = performance.now() - t;
      row.output = Float64Array.from(out as ArrayLike<number>, Number);
    } catch (e) {
      row.error = (e as Error).message.split('\n')[0]!.slice(0, 160);
      row.session = undefined;
      progress(`${w.name}: ${rt.name} failed: ${row.error}`);
    }
    row.rssAfterMb = rssMb();
    row.rssDeltaMb = row.rssAfterMb - before;
    peak.rss = Math.max(peak.rss, row.rssAfterMb);
  }
  const missing = absent.size ? ` Missing ${[...absent].join(', ')}: make it with \`${GENERATE_COMMAND}\`.` : '';
  if (!rows.length) {
    console.log(`\n### ${w.name}\n\n${w.description}.${missing}`);
    return null;
  }
  const live = rows.filter((r) => r.session);
  const start = performance.now();
  for (let round = 0; ; round++) {
    for (let k = 0; k < live.length; k++) {
      const row = live[(round + k) % live.length]!;
      const t = performance.now();
      await row.session!.run();
      row.times.push(performance.now() - t);
    }
    peak.rss = Math.max(peak.rss, rssMb());
    const elapsed = performance.now() - start;
    if (round >= 2 && elapsed > o.budgetMs) break;
    // --runs is a minimum: a fast workload keeps going for MIN_MS (up to MAX_ROUNDS) for a steadier median.
    if (round + 1 >= o.runs && (elapsed >= MIN_MS || round + 1 >= MAX_ROUNDS)) break;
  }
  progress(`${w.name}: ${live[0]?.times.length ?? 0} rounds in ${((performance.now() - start) / 1000).toFixed(1)} s`);
  for (const r of rows) await r.session?.release();

  const medians = new Map(live.map((r) => [r.runtime.name, median(r.times)]));
  const reference = rows.find((r) => r.runtime.name === 'ort-node' && r.output) ?? rows.find((r) => r.output);
  const ratio = (r: Row, peer: string) => {
    const p = medians.get(peer);
    return r.runtime.name === peer || p === undefined || !r.times.length ? '—' : `${fmt(median(r.times) / p)}`;
  };
  console.log(`\n### ${w.name}\n\n${w.description}.${missing}\n`);
  const web = rows.find((r) => r.runtime.name.startsWith('ort-web'))?.runtime.name ?? 'ort-web';
  console.log('| runtime | create ms | 1st run ms | median ms | min ms | runs | GFLOP/s | ÷ort-web | ÷ort-node | ÷tessera-js | ΔRSS MB | RSS MB | max abs diff |');
  console.log('|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
  for (const r of rows) {
    if (r.error) {
      console.log(`| ${r.runtime.name} | failed: ${r.error.replaceAll('|', '\\|')} |||||||||||`);
      continue;
    }
    const med = median(r.times);
    const gflops = w.flops ? fmt(w.flops / med / 1e6) : '—';
    const diff = reference?.output && r.output && r !== reference ? maxAbsDiff(r.output, reference.output).toExponential(1) : '—';
    console.log(`| ${r.runtime.name} | ${fmt(r.createMs)} | ${fmt(r.firstMs)} | ${fmt(med)} | ${fmt(min(r.times))} | ${r.times.length} | ${gflops} | ` +
      `${ratio(r, web)} | ${ratio(r, 'ort-node')} | ${ratio(r, 'tessera-js')} | ${r.rssDeltaMb!.toFixed(0)} | ${r.rssAfterMb!.toFixed(0)} | ${diff} |`);
  }
  return { name: w.name, times: new Map(live.map((r) => [r.runtime.name, { median: median(r.times), min: min(r.times) }])), flops: w.flops };
}

function machine(): string {
  const info = readFileSync('/proc/cpuinfo', 'utf8');
  const field = (name: string) => info.match(new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm'))?.[1];
  const simd = (field('flags') ?? '').split(' ').filter((f) => ['avx2', 'fma', 'avx512f'].includes(f)).join(' ');
  const model = `${field('model name') ?? cpus()[0]?.model ?? '?'} (family ${field('cpu family')}, model ${field('model')}, ${simd})`;
  const version = (pkg: string) => {
    try {
      return (JSON.parse(readFileSync(new URL(`../node_modules/${pkg}/package.json`, import.meta.url), 'utf8')) as { version: string }).version;
    } catch {
      return 'absent';
    }
  };
  return [
    `- date: ${new Date().toISOString()}`,
    `- CPU: ${model}, nproc ${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM; load average at start ${loadavg().map((x) => x.toFixed(2)).join(' ')}`,
    `- node ${process.version}; onnxruntime-node ${version('onnxruntime-node')}, onnxruntime-web ${version('onnxruntime-web')}; gc ${gc ? 'exposed' : 'not exposed (run through npm run bench)'}`,
    `- command: npm run bench --${process.argv.slice(2).map((a) => ` ${a}`).join('')}`,
  ].join('\n');
}

/**
 * Time to import each package's Node entry in a fresh node process (tessera's build, i.e. what
 * `import('tessera')` loads, against onnxruntime-web's and onnxruntime-node's), interleaved over
 * rounds with a rotating start: median / min ms, and tessera's ratio to each.
 */
function importTimes(rounds = 7): string {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const entry = new URL('../dist/src/node.js', import.meta.url);
  if (!existsSync(entry)) return '- import time of the Node entry: — (no dist/src/node.js: run `npm run build`)';
  const targets: [string, string][] = [['tessera', entry.href], ['onnxruntime-web', 'onnxruntime-web'], ['onnxruntime-node', 'onnxruntime-node']];
  const times = new Map<string, number[]>(targets.map(([n]) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < targets.length; k++) {
      const [name, specifier] = targets[(r + k) % targets.length]!;
      const code = `const t = performance.now(); await import(${JSON.stringify(specifier)}); console.log(performance.now() - t);`;
      try {
        const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
        times.get(name)!.push(Number(out.trim().split('\n').pop()));
      } catch {
        times.delete(name); // not installed
      }
    }
  }
  const cell = (n: string) => {
    const xs = times.get(n);
    return xs?.length ? `${n} ${fmt(median(xs))} / ${fmt(min(xs))} ms` : `${n} —`;
  };
  const ratio = (peer: string) => {
    const a = times.get('tessera');
    const b = times.get(peer);
    return a?.length && b?.length ? `tessera÷${peer} ${fmt(median(a) / median(b))} / ${fmt(min(a) / min(b))}` : `tessera÷${peer} —`;
  };
  return `- import time of the Node entry (fresh node process, median / min of ${rounds} interleaved): ` +
    `${targets.map(([n]) => cell(n)).join(', ')}; ${ratio('onnxruntime-web')}, ${ratio('onnxruntime-node')}`;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const chosen = workloads(o.sizes).filter((w) => selected(w, o.only));
  if (!chosen.length) throw new Error(`--only ${o.only?.join(',')} matches no workload; names: ${workloads([96, 224]).map((w) => w.name).join(', ')}`);
  const N = o.threads;
  const all: Runtime[] = [
    tesseraRuntime('tessera-js', 'onnx', { executionProviders: ['cpu'] }),
    // One thread unless the column says -Nt: a session's default is min(cores, 4) threads.
    tesseraRuntime('tessera-wasm', 'onnx', { executionProviders: ['wasm'], intraOpNumThreads: 1 } as SessionOptions),
    tesseraRuntime('tessera-ts', 'torchscript', { executionProviders: ['wasm'], intraOpNumThreads: 1 } as SessionOptions),
    tesseraRuntime('tessera-ts-js', 'torchscript', { executionProviders: ['cpu'] }),
  ];
  if (N > 1) all.push(tesseraRuntime(`tessera-wasm-${N}t`, 'onnx', { executionProviders: ['wasm'], intraOpNumThreads: N } as SessionOptions));
  const wanted = (name: string) => !o.runtimes || o.runtimes.includes(name);
  if (wanted(N > 1 ? `ort-web-${N}t` : 'ort-web')) { const r = await ortRuntime('onnxruntime-web', N); if (r) all.push(r); }
  if (wanted('ort-node')) { const r = await ortRuntime('onnxruntime-node'); if (r) all.push(r); }
  if (N > 1 && wanted(`ort-node-${N}t`)) { const r = await ortRuntime('onnxruntime-node', N); if (r) all.push(r); }
  // By default: everything but the TorchScript-on-JS column (ask for it by name).
  const runtimes = all.filter((r) => (o.runtimes ? o.runtimes.includes(r.name) : r.name !== 'tessera-ts-js'));

  console.log(`## tessera benchmark\n\n${machine()}`);
  console.log(`- ${N > 1 ? `one thread, and ${N} threads in the -${N}t columns (ort-web on ${N} threads throughout)` : 'single-threaded everywhere'}; ` +
    `at least ${o.runs} interleaved rounds per workload, more until ${MIN_MS / 1000} s have passed ` +
    `(at most ${MAX_ROUNDS}), fewer when its budget of ${o.budgetMs / 1000} s runs out (never under 3)`);
  // The first session of a runtime pays for loading it (ort-web compiles its wasm): do that on an
  // 8x8 MatMul so that it does not land in the first workload's create time.
  const tiny = matmul(8);
  const loads: string[] = [];
  for (const rt of runtimes.filter((r) => r.format === 'onnx')) {
    const t = performance.now();
    const s = await rt.create(tiny.onnx as Uint8Array, tiny.feeds);
    await s.run();
    await s.release();
    loads.push(`${rt.name} ${(performance.now() - t).toFixed(0)} ms`);
  }
  console.log(`- first session on an 8x8 MatMul (loading the runtime, not in the tables): ${loads.join(', ')}`);
  progress('import time of the Node entries');
  console.log(importTimes());
  const peak = { rss: rssMb() };
  const results: Result[] = [];
  for (const w of chosen) {
    const r = await bench(w, runtimes, o, peak);
    if (r) results.push(r);
    gc?.();
  }

  console.log('\n### Summary\n\nEach cell: median / min ms over the interleaved runs; ratios divide the medians, then the mins ' +
    '(tessera time ÷ peer time: above 1, tessera is slower). GFLOP/s from the fastest tessera column\'s min.\n');
  const names = runtimes.map((r) => r.name);
  const web = names.find((n) => n.startsWith('ort-web'));
  const ours = names.filter((n) => n.startsWith('tessera'));
  const ratios: [string, string][] = web ? ours.map((n) => [n, web]) : [];
  if (names.includes('tessera-ts') && names.includes('tessera-wasm')) ratios.push(['tessera-ts', 'tessera-wasm']);
  if (names.includes('tessera-ts-js') && names.includes('tessera-js')) ratios.push(['tessera-ts-js', 'tessera-js']);
  const threaded = names.find((n) => /^tessera-wasm-\d+t$/.test(n));
  if (threaded && names.includes('tessera-wasm')) ratios.push(['tessera-wasm', threaded]);
  console.log(`| workload | ${names.join(' | ')} | best tessera GFLOP/s | ${ratios.map(([a, b]) => `${a}÷${b}`).join(' | ')} |`);
  console.log(`|---|${names.map(() => '--:|').join('')}--:|${ratios.map(() => '--:|').join('')}`);
  for (const r of results) {
    const cell = (n: string) => {
      const x = r.times.get(n);
      return x ? `${fmt(x.median)} / ${fmt(x.min)}` : '—';
    };
    const div = (a: string, b: string) => {
      const x = r.times.get(a);
      const y = r.times.get(b);
      return x && y ? `${fmt(x.median / y.median)} / ${fmt(x.min / y.min)}` : '—';
    };
    const best = Math.min(...ours.map((n) => r.times.get(n)?.min ?? Infinity));
    console.log(`| ${r.name} | ${names.map(cell).join(' | ')} | ${r.flops && Number.isFinite(best) ? fmt(r.flops / best / 1e6) : '—'} | ` +
      `${ratios.map(([a, b]) => div(a, b)).join(' | ')} |`);
  }
  console.log(`\nProcess RSS: max seen ${peak.rss.toFixed(0)} MB; load average at end ${loadavg().map((x) => x.toFixed(2)).join(' ')}.`);
}

await main();
