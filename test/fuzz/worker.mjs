// Bootstrap for the fuzz worker thread: registers tsx's loader in this thread, then loads the
// TypeScript worker. (A worker does not need the parent's --import flags: run.ts starts it with
// execArgv: [] so it works however run.ts itself was started.)
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
