// CPU profile of tessera's steady-state runs of one bench workload, summarised by self time:
//   npx tsx bench/profile.ts resnet18@224 [--runs 8] [--torchscript] [--ep wasm|cpu] [--top 15] [--out FILE.cpuprofile]
//   npx tsx bench/profile.ts --summary FILE.cpuprofile [--top 15]     (any V8 .cpuprofile, e.g. node --cpu-prof)
// The profiler starts after the session is created and has run twice, so loading, planning, JIT
// warm-up and the wasm engine's upload of the constant panels (on their second use:
// kernels/wasm/resident.ts; 97 MB for resnet18@224) are not in it.

import { writeFileSync, readFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tesseraRuntime } from './runtimes.js';
import { GENERATE_COMMAND, workloads } from './workloads.js';

interface Profile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

/** Lines of "ms  %  function  file", the top functions by self time. */
export function summarise(profile: Profile, top: number): string[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    const f = byId.get(id)!.callFrame;
    const where = f.url.startsWith('file://') ? relative(process.cwd(), fileURLToPath(f.url)) : f.url;
    const key = `${f.functionName || '(anonymous)'}  ${where}`.trim();
    self.set(key, (self.get(key) ?? 0) + dt);
  });
  const rows = [...self].sort((a, b) => b[1] - a[1]).slice(0, top);
  return [
    `${(total / 1e6).toFixed(2)} s sampled; top ${rows.length} by self time`,
    ...rows.map(([key, us]) => `${(us / 1e3).toFixed(0).padStart(7)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${key}`),
  ];
}

const args = process.argv.slice(2);
const option = (flag: string) => {
  const at = args.indexOf(flag);
  return at < 0 ? undefined : args.splice(at, 2)[1];
};
const top = Number(option('--top') ?? 15);
const summary = option('--summary');
if (summary) {
  console.log(summarise(JSON.parse(readFileSync(summary, 'utf8')) as Profile, top).join('\n'));
} else {
  const runs = Number(option('--runs') ?? 8);
  const out = option('--out');
  const tsAt = args.indexOf('--torchscript');
  if (tsAt >= 0) args.splice(tsAt, 1);
  const name = args[0];
  const w = workloads([96, 224]).find((x) => x.name === name);
  if (!w) throw new Error(`usage: tsx bench/profile.ts WORKLOAD [--runs N] [--torchscript] [--top N] [--out FILE]; workloads: ${workloads([96, 224]).map((x) => x.name).join(', ')}`);
  const bytes = tsAt >= 0 ? w.torchscript : w.onnx;
  if (!(bytes instanceof Uint8Array)) throw new Error(`${bytes?.absent ?? 'no TorchScript'} is absent: make it with \`${GENERATE_COMMAND}\``);
  const ep = option('--ep');
  const session = await tesseraRuntime('tessera', tsAt >= 0 ? 'torchscript' : 'onnx', ep ? { executionProviders: ep.split(',') } : {}).create(bytes, w.feeds);
  await session.run();
  await session.run();
  const inspector = new Session();
  inspector.connect();
  await inspector.post('Profiler.enable');
  await inspector.post('Profiler.setSamplingInterval', { interval: 200 });
  await inspector.post('Profiler.start');
  const t = performance.now();
  for (let i = 0; i < runs; i++) await session.run();
  const ms = (performance.now() - t) / runs;
  const { profile } = (await inspector.post('Profiler.stop')) as unknown as { profile: Profile };
  inspector.disconnect();
  if (out) writeFileSync(out, JSON.stringify(profile));
  console.log(`${w.name} (${tsAt >= 0 ? 'TorchScript' : 'ONNX'}), ${runs} runs, ${ms.toFixed(1)} ms per run while profiling`);
  console.log(summarise(profile, top).join('\n'));
}
