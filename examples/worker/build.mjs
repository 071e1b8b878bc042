// Builds the worker into one folder that both wrangler (wrangler.toml) and workerd (config.capnp) serve:
//   build/worker.js                   the worker and tessera, bundled by esbuild (ES module)
//   build/digits_cnn_opset17.onnx     the model, a Data module
//   build/wasm/*.wasm                 the wasm engine's modules, compiled by the runtime when it loads the worker
// Usage: node build.mjs [--outdir DIR]. Inside the tessera repository it bundles the repository's
// source (run `npm run build` first for dist/wasm); elsewhere the installed `tessera` package.

import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const MODEL = 'digits_cnn_opset17.onnx';
const WASM = ['gemm', 'gemm-fma', 'conv', 'conv-fma', 'winograd'];

/** Where tessera is: this repository (its source), or the installed package (its dist). */
function findTessera() {
  const repo = resolve(here, '../..');
  const pkg = join(repo, 'package.json');
  if (existsSync(join(repo, 'src/index.ts')) && JSON.parse(readFileSync(pkg, 'utf8')).name === 'tessera') {
    return { root: repo, alias: { tessera: join(repo, 'src/index.ts') } };
  }
  // The package's Node entry is dist/src/node.js; its root is three folders up.
  const entry = createRequire(join(here, 'package.json')).resolve('tessera');
  return { root: resolve(dirname(entry), '../..'), alias: {} };
}

export async function buildWorker(outdir = join(here, 'build')) {
  const tessera = findTessera();
  const wasmDir = join(tessera.root, 'dist/wasm');
  const keysFile = join(wasmDir, 'modules.json');
  if (!existsSync(keysFile)) throw new Error(`build.mjs: ${keysFile} is missing (run \`npm run build\` in ${tessera.root})`);
  mkdirSync(join(outdir, 'wasm'), { recursive: true });
  await build({
    entryPoints: [join(here, 'src/worker.ts')],
    outfile: join(outdir, 'worker.js'),
    bundle: true, format: 'esm', platform: 'neutral', mainFields: ['module', 'main'], logLevel: 'warning',
    alias: tessera.alias,
    // The model and the wasm modules stay separate modules of the worker, imported by the same relative names.
    plugins: [{
      name: 'worker-modules',
      setup(b) { b.onResolve({ filter: /\.(onnx|wasm)$/ }, (args) => ({ path: args.path, external: true })); },
    }],
    define: { TESSERA_WASM_KEYS: readFileSync(keysFile, 'utf8') },
  });
  copyFileSync(join(tessera.root, 'spec-models/digits', MODEL), join(outdir, MODEL));
  for (const m of WASM) copyFileSync(join(wasmDir, `${m}.wasm`), join(outdir, 'wasm', `${m}.wasm`));
  return outdir;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--outdir');
  console.log(`built ${await buildWorker(i > 0 ? resolve(process.argv[i + 1]) : undefined)}`);
}
