// Serves an InferenceServer (handler.ts) with Bun.serve: the Open Inference Protocol on Bun.
//
//   import { createInferenceServer, serveWithBun } from 'tessera';
//   const host = await serveWithBun(createInferenceServer({ models }), { port: 8000 });
//
// SIGTERM / SIGINT (or `signal`, or `host.shutdown()`) stop accepting connections, let the
// requests in flight finish (Bun's `stop()`), then close the server's sessions.

import {
  DEFAULT_HOSTNAME, SHUTDOWN_SIGNALS, checkedPort, shutdownOnce, type HostOptions, type ServedHandler, type ServingHost,
} from './host.js';

/** The parts of Bun's API this host calls (the project compiles without Bun's types). */
interface BunServer { readonly port: number; readonly hostname: string; stop(closeActiveConnections?: boolean): Promise<void> | void }
interface BunApi {
  serve(options: {
    port: number; hostname: string; idleTimeout?: number;
    fetch: (request: Request) => Promise<Response>; error?: (error: Error) => Response | Promise<Response>;
  }): BunServer;
}
/** Bun delivers signals through its Node-compatible `process` global. */
interface SignalSource {
  on(signal: string, handler: () => void): unknown;
  off(signal: string, handler: () => void): unknown;
}

export interface BunHostOptions extends HostOptions {
  /**
   * Seconds a connection may stay silent before Bun closes it (Bun's `idleTimeout`, at most 255;
   * Bun's own default of 10 would cut off a long inference). Default 255; the handler's
   * `timeoutMs` bounds a request's work.
   */
  idleTimeoutSeconds?: number;
}

/** Starts serving `server` with Bun.serve (listening when it returns). Throws outside Bun. */
export async function serveWithBun(server: ServedHandler, options: BunHostOptions = {}): Promise<ServingHost> {
  const bun = (globalThis as { Bun?: BunApi }).Bun;
  if (bun === undefined || typeof bun.serve !== 'function') throw new Error('serveWithBun: no Bun.serve here (this host runs under Bun; on Node use `tessera serve`, on Deno serveWithDeno)');
  const port = checkedPort(options.port, 'serveWithBun');
  const idleTimeout = options.idleTimeoutSeconds ?? 255;
  if (!Number.isInteger(idleTimeout) || idleTimeout < 0 || idleTimeout > 255) {
    throw new RangeError(`serveWithBun: idleTimeoutSeconds must be an integer in 0..255, got ${String(options.idleTimeoutSeconds)}`);
  }
  const onError = options.onError ?? ((e: unknown) => console.error('tessera serve (bun):', e));
  const http = bun.serve({
    port, hostname: options.hostname ?? DEFAULT_HOSTNAME, idleTimeout,
    fetch: (request) => server.handle(request),
    // The handler answers every failure with a protocol error itself; this only catches what escapes it.
    error: (error) => {
      onError(error);
      return Response.json({ error: `internal error: ${error.message}` }, { status: 500 });
    },
  });
  const signals = (globalThis as { process?: SignalSource }).process;
  const handleSignals = (options.handleSignals ?? true) && signals !== undefined;
  const onSignal = (): void => { stop.shutdown().catch(onError); };
  const stop = shutdownOnce(async () => { await http.stop(false); }, server, () => {
    if (handleSignals) for (const s of SHUTDOWN_SIGNALS) signals!.off(s, onSignal);
    options.signal?.removeEventListener('abort', onSignal);
  });
  if (handleSignals) for (const s of SHUTDOWN_SIGNALS) signals!.on(s, onSignal);
  if (options.signal?.aborted) onSignal();
  else options.signal?.addEventListener('abort', onSignal, { once: true });
  // Load the models now rather than on the first request; a failure leaves the server not ready.
  server.ready().catch(onError);
  return { port: http.port, hostname: http.hostname, shutdown: stop.shutdown, finished: stop.finished };
}
