// Where session workers come from (see worker-session.ts): the factory a platform entry registers
// (src/node.ts: worker_threads). Apart from the session client so that the main entry can export
// setWorkerFactory without carrying the client, which loads when a session asks for worker: true.

/** What a WorkerFactory reports back: each message, and a failure (the worker is then unusable). */
export interface WorkerEvents {
  message(data: unknown): void;
  error(error: Error): void;
}

/** One started worker, as the session uses it. ref/unref, where the host has them, let an idle worker not keep a process alive. */
export interface WorkerHandle {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  terminate(): void;
  ref?(): void;
  unref?(): void;
}

/** Starts a module worker running the script at `entry`. */
export type WorkerFactory = (entry: URL, events: WorkerEvents) => WorkerHandle;

let registered: WorkerFactory | undefined;

/** Sets the factory for session workers (the Node entry registers one); returns the previous one. */
export function setWorkerFactory(factory: WorkerFactory | undefined): WorkerFactory | undefined {
  const previous = registered;
  registered = factory;
  return previous;
}

/** The factory setWorkerFactory set, if any. */
export function registeredWorkerFactory(): WorkerFactory | undefined {
  return registered;
}
