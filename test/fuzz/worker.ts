// The fuzz worker thread. For { id, seed, steps } it mutates the seed file (so a mutator that hangs
// is caught like any other hang), posts { id, mutated } with the bytes and step descriptions, then
// runs the case and posts { id, outcome }. run.ts watches it from the main thread.

import { parentPort } from 'node:worker_threads';
import { loadCorpus, seedByName } from './corpus.js';
import { mutate } from './mutate.js';
import { runCase } from './outcome.js';

export interface CaseRequest {
  readonly id: number;
  readonly seed: string;
  readonly steps: readonly number[];
  /** Run these bytes as they are instead of mutating the seed (run.ts --input). */
  readonly bytes?: Uint8Array;
}

const port = parentPort!;
port.on('message', (req: CaseRequest) => {
  void (async () => {
    const seed = seedByName(req.seed);
    const m = req.bytes ? { bytes: req.bytes, steps: ['(given input, not mutated)'] } : mutate(seed.bytes, seed.format, req.steps);
    const copy = new Uint8Array(m.bytes); // a fresh buffer to transfer, never a view of the seed
    port.postMessage({ id: req.id, mutated: { bytes: copy, steps: m.steps } }, [copy.buffer]);
    const outcome = await runCase(m.bytes, seed);
    port.postMessage({ id: req.id, outcome });
  })();
});
loadCorpus(); // before 'ready', so the first case's time budget is its own
// The TorchScript interpreter loads lazily (with its first archive): loaded here for the same reason.
await import('../../src/runtime/torchscript/session.js');
port.postMessage({ ready: true });
