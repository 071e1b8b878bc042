// What each planner rewrite (src/runtime/rewrite/) buys on one workload: sessions whose plans
// apply a subset of the passes, run interleaved in one process with onnxruntime-web.
//   node --expose-gc --import tsx bench/rewrite-passes.ts WORKLOAD|FILE.onnx SECONDS VARIANT...
// VARIANT is 'none' (graphOptimizationLevel 'disabled'), 'all', or passes joined by '+':
// fold, bn, patterns, attention, bias, residual, act (applied in the planner's order). A
// FILE.onnx is fed int64 tokens [1, 16] (the spec GPT decoders). Prints p10/p25/p50 times, their
// ratio to onnxruntime-web's, and each variant's time over the first variant's, paired round by
// round (steadier than either alone on a shared machine).

import { readFileSync } from 'node:fs';
import { InferenceSession, Tensor } from '../src/index.js';
import { loadOnnxModel } from '../src/formats/onnx/load.js';
import type { Graph } from '../src/ir/graph.js';
import { nodeReads } from '../src/ir/validate.js';
import { defaultOpRegistry, loadAllOps } from '../src/runtime/default-registry.js';
import { inferShapes } from '../src/runtime/infer.js';
import type { GraphPlan, Step } from '../src/runtime/plan.js';
import { fuseActivations } from '../src/runtime/rewrite/activation.js';
import { fuseAttention } from '../src/runtime/rewrite/attention.js';
import { foldBatchNorms } from '../src/runtime/rewrite/batchnorm.js';
import { materializeConstants } from '../src/runtime/rewrite/constants.js';
import { type RewriteContext, rewriteContext } from '../src/runtime/rewrite/context.js';
import { fuseMatMulBias, fuseResidualAdds } from '../src/runtime/rewrite/epilogue.js';
import { foldConstants } from '../src/runtime/rewrite/fold.js';
import { recognisePatterns } from '../src/runtime/rewrite/patterns.js';
import { ortRuntime } from './runtimes.js';
import { type Feed, workloads } from './workloads.js';

await loadAllOps(); // this bench plans models itself (fromModel), which loads no op family by itself

type Pass = (ctx: RewriteContext, steps: readonly Step[]) => Step[];
const PASSES: [string, Pass][] = [
  ['fold', foldConstants], ['bn', foldBatchNorms], ['patterns', recognisePatterns], ['attention', fuseAttention],
  ['bias', fuseMatMulBias], ['residual', fuseResidualAdds], ['act', fuseActivations],
];

const [name, seconds, ...variants] = process.argv.slice(2);
if (!name || !seconds || variants.length === 0) throw new Error('usage: bench/rewrite-passes.ts WORKLOAD|FILE.onnx SECONDS VARIANT...');
let bytes: Uint8Array;
let feedList: readonly Feed[];
if (name.endsWith('.onnx')) {
  bytes = new Uint8Array(readFileSync(name));
  feedList = [{ name: 'tokens', dims: [1, 16], data: BigInt64Array.from({ length: 16 }, (_, i) => BigInt((i * 37) % 100)) }];
} else {
  const w = workloads([96, 224]).find((x) => x.name === name);
  if (!w || !(w.onnx instanceof Uint8Array)) throw new Error(`no ONNX workload '${name}'`);
  bytes = w.onnx;
  feedList = w.feeds;
}
const feeds: Record<string, Tensor> = {};
for (const f of feedList) {
  feeds[f.name] = f.data instanceof BigInt64Array ? new Tensor('int64', f.data, f.dims) : new Tensor('float32', f.data, f.dims);
}

/** When each value can go (as plan.ts computes it). */
function withReleases(graph: Graph, steps: readonly Step[]): Step[] {
  const keep = new Set(graph.outputs.map((o) => o.name));
  const last = new Map<string, number>();
  steps.forEach((s, i) => {
    for (const r of s.reads ?? nodeReads(s.node)) last.set(r, i);
    for (const o of s.node.outputs) if (o && !last.has(o)) last.set(o, i);
  });
  const release: string[][] = steps.map(() => []);
  for (const [n, i] of last) if (!keep.has(n)) release[i]!.push(n);
  return steps.map((s, i) => ({ ...s, release: release[i]! }));
}

/** A session whose plan applies the passes `variant` names. */
async function session(variant: string): Promise<InferenceSession> {
  const model = await loadOnnxModel(bytes);
  const s = InferenceSession.fromModel(model, undefined, undefined, { graphOptimizationLevel: 'disabled' });
  if (variant === 'none') return s;
  const on = variant === 'all' ? PASSES.map(([p]) => p) : variant.split('+');
  const internal = s as unknown as { onnx: { plan: GraphPlan } };
  const plan = internal.onnx.plan;
  const ctx = rewriteContext(plan.graph, inferShapes(model, { registry: defaultOpRegistry() }));
  let steps: readonly Step[] = plan.steps;
  for (const [p, pass] of PASSES) if (on.includes(p)) steps = pass(ctx, steps);
  internal.onnx = { ...internal.onnx, plan: { ...plan, steps: withReleases(plan.graph, materializeConstants(ctx, steps)) } };
  return s;
}

const runners: [string, () => Promise<unknown>][] = [];
for (const v of variants) {
  const s = await session(v);
  runners.push([v, () => s.run(feeds)]);
}
const ort = await ortRuntime('onnxruntime-web');
if (ort) {
  const web = await ort.create(bytes, feedList);
  runners.push(['ort-web', () => web.run()]);
}
for (const [, run] of runners) for (let i = 0; i < 5; i++) await run();
const times = new Map<string, number[]>(runners.map(([n]) => [n, []]));
const end = performance.now() + Number(seconds) * 1000;
let round = 0;
while (performance.now() < end || round < 5) {
  for (let k = 0; k < runners.length; k++) {
    const [n, run] = runners[(k + round) % runners.length]!;
    const t0 = performance.now();
    await run();
    times.get(n)!.push(performance.now() - t0);
  }
  round++;
}
const pct = (a: readonly number[], p: number) => [...a].sort((x, y) => x - y)[Math.floor(p * (a.length - 1))]!;
const first = times.get(runners[0]![0])!;
const web = times.get('ort-web');
console.log(`${name}: ${round} rounds; p10 p25 p50 ms, ÷ort-web at each, variant ÷ first variant (median of per-round ratios)`);
for (const [n, a] of times) {
  const paired = a.map((v, i) => v / first[i]!).sort((x, y) => x - y);
  const ratio = web ? `÷ort-web ${[0.1, 0.25, 0.5].map((p) => (pct(a, p) / pct(web, p)).toFixed(2)).join(' / ')}` : '';
  console.log(`  ${n.padEnd(34)} ${[0.1, 0.25, 0.5].map((p) => pct(a, p).toFixed(3)).join(' ')}   ${ratio}   paired ${paired[Math.floor(paired.length / 2)]!.toFixed(2)}`);
}
process.exit(0);
