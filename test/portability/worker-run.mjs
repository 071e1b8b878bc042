// Runs the digits model in a worker session (InferenceSession.create(model, { worker: true })) from
// the built package and prints one JSON line: whether the outputs equal an in-thread run's bit for
// bit, how an aborted run ended, and whether the session ran correctly after it. Executed by Node
// (the Node entry: worker_threads), Deno and Bun (the core entry: their global Worker) from
// test/portability/worker-runtimes.test.ts. Without release() at the end unless RELEASE=1, so
// the test also sees whether an idle worker keeps the process alive.
import { readFileSync } from 'node:fs';

const entry = typeof globalThis.Worker === 'function' ? '../../dist/src/index.js' : '../../dist/src/node.js';
const { InferenceSession, Tensor, parseNpy, AbortError } = await import(entry);

const dir = new URL('../../spec-models/digits/', import.meta.url);
const read = (f) => new Uint8Array(readFileSync(new URL(f, dir)));
const images = parseNpy(read('test_images.npy'));
const model = read('digits_cnn_opset17.onnx');
// Eight copies of the 360 images: a run long enough to stop midway.
const big = new Float32Array(images.data.length * 8);
for (let i = 0; i < 8; i++) big.set(images.data, i * images.data.length);
const feeds = { image: new Tensor('float32', big, [images.dims[0] * 8, ...images.dims.slice(1)]) };

// Milliseconds, and ticks of a 5 ms timer (the event loop's turns) while each step ran: printed, not tested.
let ticks = 0;
const timer = setInterval(() => ticks++, 5);
const timed = async (f) => {
  ticks = 0;
  const t0 = performance.now();
  const value = await f();
  return { value, ms: Math.round(performance.now() - t0), ticks };
};
const inThread = await timed(async () => (await (await InferenceSession.create(model)).run(feeds)).logits.data);
const reference = inThread.value;
const created = await timed(() => InferenceSession.create(model, { worker: true }));
const session = created.value;
const same = (data) => data.length === reference.length && data.every((x, i) => Object.is(x, reference[i]));
const run = await timed(async () => same((await session.run(feeds)).logits.data));

const controller = new AbortController();
const pending = session.run(feeds, { signal: controller.signal });
let abortedAt = 0;
setTimeout(() => { abortedAt = performance.now(); controller.abort(); }, 20);
const aborted = await pending.then(() => 'finished', (e) => `${e instanceof AbortError ? 'AbortError' : 'other'}: ${e.name}: ${e.message}`);
const abortMs = Math.round(performance.now() - abortedAt);
const after = same((await session.run(feeds)).logits.data);
clearInterval(timer);
if (process.env.RELEASE === '1') await session.release();
console.log(JSON.stringify({
  inputNames: session.inputNames, first: run.value, aborted, after,
  timing: {
    inThread: { ms: inThread.ms, ticks: inThread.ticks }, create: { ms: created.ms, ticks: created.ticks },
    workerRun: { ms: run.ms, ticks: run.ticks }, abortToReject: abortMs,
  },
}));
