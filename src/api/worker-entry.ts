// The script a session worker runs (InferenceSession.create(model, { worker: true })): it loads
// the model into an ordinary InferenceSession and runs it, one message at a time. It speaks the
// web worker interface (postMessage, addEventListener('message')); in Node the Node entry
// (src/node.ts) supplies that interface over worker_threads before importing this file.
//
// A run is synchronous here, so no message can arrive while it runs: a stop request comes as
// the run's id written into the shared abort flag, which the run's RunControl reads at every
// check (between nodes, per loop iteration, per batch of TorchScript statements).

import type { AbortLike } from '../run-control.js';
import type { ModelFile } from './session.js';
import { InferenceSession } from './session.js';
import { type FromWorker, type ToWorker, type WireValue, errorFromWire, errorToWire, fromWire, toWire } from './worker-protocol.js';
import type { Value } from '../value.js';

interface WorkerScope {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: { data: ToWorker }) => void): void;
}

const scope = globalThis as unknown as WorkerScope;
let session: InferenceSession | undefined;
let abortFlag: Int32Array | undefined;
/** External data requests waiting for the creating thread's reply, by id. */
const external = new Map<number, { resolve(bytes: Uint8Array): void; reject(e: Error): void }>();
let nextExternal = 1;

function requestExternal(location: string, offset?: number, length?: number): Promise<Uint8Array> {
  const id = nextExternal++;
  return new Promise((resolve, reject) => {
    external.set(id, { resolve, reject });
    scope.postMessage({ type: 'external', id, location, offset, length });
  });
}

async function load(msg: Extract<ToWorker, { type: 'load' }>): Promise<void> {
  abortFlag = msg.abortFlag ? new Int32Array(msg.abortFlag) : undefined;
  const externalRange: ModelFile['externalRange'] | undefined = msg.external === 'range'
    ? (location, offset, length) => requestExternal(location, offset, length)
    : undefined;
  const externalData = msg.external === 'whole' ? (location: string) => requestExternal(location) : undefined;
  session = await InferenceSession.fromBytes(msg.bytes, {
    limits: msg.limits, graphOptimizationLevel: msg.graphOptimizationLevel, enableCpuMemArena: msg.enableCpuMemArena,
    executionProviders: msg.executionProviders, intraOpNumThreads: msg.intraOpNumThreads,
    ...(msg.strict !== undefined ? { strict: msg.strict } : {}),
    ...(externalData ? { externalData } : {}),
  }, msg.limits, externalRange);
  const { format, backend, threads, inputNames, outputNames, inputMetadata, outputMetadata } = session;
  scope.postMessage({ type: 'loaded', id: msg.id, session: { format, backend, threads, inputNames, outputNames, inputMetadata, outputMetadata } });
}

async function run(msg: Extract<ToWorker, { type: 'run' }>): Promise<void> {
  if (!session) throw new Error('run before load');
  const feeds: Record<string, Value> = {};
  for (const [name, w] of Object.entries(msg.feeds)) feeds[name] = fromWire(w);
  const flag = abortFlag;
  // Reads like an AbortSignal to RunControl, which only reads `aborted` and `reason`.
  const stop: AbortLike | undefined = flag && { get aborted() { return Atomics.load(flag, 0) === msg.id; } };
  const outs = await session.runValues(feeds, msg.fetches, {
    ...(stop ? { signal: stop as AbortSignal } : {}),
    ...(msg.timeoutMs !== undefined ? { timeoutMs: msg.timeoutMs } : {}),
  });
  const transfer: Transferable[] = [];
  const outputs: Record<string, WireValue> = {};
  for (const [name, v] of Object.entries(outs)) outputs[name] = toWire(v, transfer);
  scope.postMessage({ type: 'result', id: msg.id, outputs }, transfer);
}

scope.addEventListener('message', ({ data: msg }) => {
  if (msg.type === 'external-reply') {
    const waiting = external.get(msg.id);
    external.delete(msg.id);
    if (msg.error) waiting?.reject(errorFromWire(msg.error));
    else waiting?.resolve(msg.bytes!);
    return;
  }
  (msg.type === 'load' ? load(msg) : run(msg)).catch((e: unknown) => {
    scope.postMessage({ type: 'failed', id: msg.id, error: errorToWire(e) });
  });
});
scope.postMessage({ type: 'ready' });
