// The bench's browser column: tessera in headless Chromium (test/browser/harness.ts, the page of
// test/browser/webgl-page.ts) on 'cpu' (the JS kernels), 'wasm' (SIMD, one thread) and 'webgl'
// (gpu.js on WebGL2, the default thresholds), for bench/workloads.ts's matmul512 and one CNN.
//
// Each runtime's session is created and run once (create + 1st run: the webgl one compiles its
// shaders then), then the runtimes run in interleaved rounds, each round starting with the next
// runtime; medians and mins are over the rounds, ratios divide the medians by cpu's. The webgl rows
// say how many GPU kernels and readbacks a run took, and every row the largest |difference| of the
// first output from cpu's.
//
// The test machine has no GPU: Chromium's WebGL2 is SwiftShader, a CPU rasterizer. These numbers
// show that the GPU path works end to end in a browser, not what a GPU does.
//
// Usage: npx tsx bench/browser.ts [--only matmul512,mobilenet_v2@96] [--rounds N]

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { openPage, servePage, startBrowser } from '../test/browser/harness.js';
import type { Feed, TesseraWebgl, WebglRequest, WebglResult } from '../test/browser/webgl-page.js';
import { type Workload, GENERATE_COMMAND, workloads } from './workloads.js';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const only = option('only', 'matmul512,mobilenet_v2@96').split(',');
const rounds = Number(option('rounds', '5'));
const RUNTIMES: readonly { name: string; request: Partial<WebglRequest> }[] = [
  { name: 'cpu', request: { executionProviders: ['cpu'] } },
  { name: 'wasm', request: { executionProviders: ['wasm'], intraOpNumThreads: 1 } },
  { name: 'webgl', request: { executionProviders: ['webgl'] } },
];

const chosen = workloads([96, 224]).filter((w) => only.includes(w.name));
if (chosen.length === 0) throw new Error(`--only ${only.join(',')}: no such workload`);

const browser = await startBrowser();
const files = mkdtempSync(join(tmpdir(), 'tessera-bench-browser-'));
try {
  console.log(`Chromium ${browser.version()}, WebGL2 on SwiftShader (no GPU: the webgl rows show the path works, not GPU speed); ${rounds} interleaved rounds`);
  for (const w of chosen) await bench(browser, w);
} finally {
  await browser.close();
  rmSync(files, { recursive: true, force: true });
}

async function bench(browser: Browser, w: Workload): Promise<void> {
  if (!(w.onnx instanceof Uint8Array)) {
    console.log(`${w.name}: ${w.onnx.absent} is absent (${GENERATE_COMMAND})`);
    return;
  }
  // The page fetches the model by URL (a CNN's bytes through page.evaluate would be a 50 MB string).
  const file = join(files, `${w.name}.onnx`);
  writeFileSync(file, w.onnx);
  const server = await servePage({ '/model.onnx': file });
  try {
    const { page } = await openPage(browser, server);
    await page.addScriptTag({ url: '/webgl-page.js', type: 'module' });
    await page.waitForFunction(() => (globalThis as { tesseraWebgl?: unknown }).tesseraWebgl !== undefined);
    const api = <K extends 'open' | 'again' | 'close'>(fn: K, ...args: Parameters<TesseraWebgl[K]>) =>
      page.evaluate(([f, a]) => ((globalThis as unknown as { tesseraWebgl: Record<string, (...x: unknown[]) => unknown> }).tesseraWebgl[f]!(...a)), [fn, args] as const) as ReturnType<TesseraWebgl[K]>;
    const feeds: Feed[] = w.feeds.map((f) => ({ name: f.name, dims: [...f.dims], data: Array.from(f.data as Float32Array) }));
    const first: Record<string, WebglResult & { createMs: number }> = {};
    for (const r of RUNTIMES) first[r.name] = await api('open', r.name, { model: '/model.onnx', feeds, ...r.request } as WebglRequest);
    const times: Record<string, number[]> = Object.fromEntries(RUNTIMES.map((r) => [r.name, []]));
    const last: Record<string, WebglResult> = {};
    for (let round = 0; round < rounds; round++) {
      for (let j = 0; j < RUNTIMES.length; j++) {
        const r = RUNTIMES[(round + j) % RUNTIMES.length]!;
        last[r.name] = await api('again', r.name);
        times[r.name]!.push(last[r.name]!.ms);
      }
    }
    for (const r of RUNTIMES) await api('close', r.name);
    const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;
    const cpu = first.cpu!.outputs[0]!.data;
    console.log(`\n${w.name}: ${w.description}`);
    console.log('| runtime | backend | create + 1st run ms | median ms | min ms | ÷ cpu | GPU kernels / readbacks per run | max abs diff from cpu |');
    console.log('|---|---|---|---|---|---|---|---|');
    for (const r of RUNTIMES) {
      const f = first[r.name]!;
      const t = times[r.name]!;
      const out = f.outputs[0]!.data;
      let diff = 0;
      for (let i = 0; i < cpu.length; i++) diff = Math.max(diff, Math.abs(out[i]! - cpu[i]!));
      const gpu = r.name === 'webgl' ? `${last[r.name]!.kernelRuns} / ${last[r.name]!.readbacks}` : '';
      console.log(`| ${r.name} | ${f.backend} | ${(f.createMs + f.ms).toFixed(0)} | ${median(t).toFixed(1)} | ${Math.min(...t).toFixed(1)} | ${(median(t) / median(times.cpu!)).toFixed(2)} | ${gpu} | ${diff.toExponential(1)} |`);
    }
  } finally {
    await server.close();
  }
}
