// The fuzz worker thread: receives { id, seed, bytes }, runs the case with runCase and answers
// { id, outcome }. run.ts watches it from the main thread for timeouts and memory.

import { parentPort } from 'node:worker_threads';
import { loadCorpus, seedByName } from './corpus.js';
import { runCase } from './outcome.js';

export interface CaseRequest {
  readonly id: number;
  readonly seed: string;
  readonly bytes: Uint8Array;
}

const port = parentPort!;
port.on('message', (req: CaseRequest) => {
  void (async () => {
    const outcome = await runCase(req.bytes, seedByName(req.seed));
    port.postMessage({ id: req.id, outcome });
  })();
});
loadCorpus(); // before 'ready', so the first case's time budget is its own
port.postMessage({ ready: true });
