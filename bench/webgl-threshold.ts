// Where the 'webgl' provider's products start to pay: one MatMul [n, n] @ constant [n, n] per
// session, timed in headless Chromium (test/browser/harness.ts) on webgl (every product on the
// GPU: minMultiplyAdds 0), cpu (JS kernels) and wasm, interleaved, median of `reps` runs after
// warm-ups (shaders compiled, the weight uploaded). The webgl time includes uploading A and
// reading C back, as a product between two CPU ops pays. SwiftShader is a CPU rasterizer: this
// measures the overhead of a GPU op on the test machine, not what a real GPU does.
// Usage: npx tsx bench/webgl-threshold.ts [reps]

import { writeModel } from '../test/helpers/onnx-writer.js';
import { openPage, servePage, startBrowser } from '../test/browser/harness.js';
import type { TesseraWebgl, WebglRequest } from '../test/browser/webgl-page.js';

const reps = Number(process.argv[2] ?? 5);
const server = await servePage({});
const browser = await startBrowser();
try {
  const { page } = await openPage(browser, server);
  await page.addScriptTag({ url: '/webgl-page.js', type: 'module' });
  await page.waitForFunction(() => (globalThis as { tesseraWebgl?: unknown }).tesseraWebgl !== undefined);
  const run = (r: WebglRequest) => page.evaluate((q) => (globalThis as unknown as { tesseraWebgl: TesseraWebgl }).tesseraWebgl.run(q), r);
  console.log('n\tmultiply-adds\twebgl ms\tcpu ms\twasm ms\twebgl/cpu');
  for (const n of [8, 16, 24, 32, 48, 64, 96, 128, 192, 256]) {
    const model = Array.from(writeModel({
      graph: {
        nodes: [{ op: 'MatMul', inputs: ['a', 'b'], outputs: ['c'] }],
        inputs: [{ name: 'a', elemType: 1, shape: [n, n] }],
        outputs: [{ name: 'c', elemType: 1, shape: [n, n] }],
        initializers: [{ name: 'b', dataType: 1, dims: [n, n], floats: Array.from({ length: n * n }, (_, i) => Math.sin(i)) }],
      },
    }));
    const feeds = [{ name: 'a', data: Array.from({ length: n * n }, (_, i) => Math.cos(i)), dims: [n, n] }];
    const times: Record<string, number[]> = { webgl: [], cpu: [], wasm: [] };
    for (let r = 0; r < reps; r++) {
      for (const ep of ['webgl', 'cpu', 'wasm']) {
        const res = await run({ model, feeds, executionProviders: [ep], minMultiplyAdds: 0, warmups: 2 });
        times[ep]!.push(res.ms);
      }
    }
    const med = (v: number[]) => [...v].sort((x, y) => x - y)[v.length >> 1]!;
    const [g, c, w] = [med(times.webgl!), med(times.cpu!), med(times.wasm!)];
    console.log(`${n}\t${n ** 3}\t${g.toFixed(3)}\t${c.toFixed(3)}\t${w.toFixed(3)}\t${(g / c).toFixed(2)}`);
  }
} finally {
  await browser.close();
  await server.close();
}
