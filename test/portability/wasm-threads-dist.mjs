// Runs WasmThreadPool from the built package (dist/), where the worker script is the copy tsc
// made of kernels/wasm/threads-worker.js, and prints one JSON line. argv[0]: 'node' imports the
// Node entry (worker_threads), 'web' only the kernels (the runtime's global Worker).
// Executed by Node, Deno and Bun from test/portability/wasm-threads-runtimes.test.ts.
import { FunctionBuilder, ModuleBuilder, ValType } from '../../dist/kernels/wasm/assembler.js';
import { KernelMemory } from '../../dist/kernels/wasm/host.js';
import { WasmThreadPool } from '../../dist/kernels/wasm/threads.js';

const entry = (globalThis.Deno?.args ?? process.argv.slice(2))[0] ?? 'web';
if (entry === 'node') await import('../../dist/src/node.js');

// put(address, value): one i32 store
const put = new FunctionBuilder([ValType.i32, ValType.i32], []);
put.get(put.params[0]).get(put.params[1]).mem('i32.store');
const m = new ModuleBuilder().importMemory('env', 'memory', { initial: 1, maximum: 65536, shared: true });
m.addFunction(put, 'put');
const memory = KernelMemory.shared(1);
const fallbacks = [];
const pool = await WasmThreadPool.create(new WebAssembly.Module(m.toBytes()), memory.memory, 2, { onFallback: (r) => fallbacks.push(r) });
pool?.run('put', Array.from({ length: 64 }, (_, i) => [4 * i, i * i]).flat());
const out = Array.from(new Int32Array(memory.memory.buffer, 0, 64));
console.log(JSON.stringify({ threads: pool?.threads ?? 1, ok: out.every((v, i) => v === i * i), fallbacks }));
pool?.dispose();
