// Serves an InferenceServer (handler.ts) with Deno.serve: the Open Inference Protocol on Deno.
//
//   import { createInferenceServer, serveWithDeno } from 'tessera';
//   const host = await serveWithDeno(createInferenceServer({ models }), { port: 8000 });
//
// SIGTERM / SIGINT (or `signal`, or `host.shutdown()`) stop accepting connections, let the
// requests in flight finish (Deno's `shutdown()`), then close the server's sessions.

import {
  DEFAULT_HOSTNAME, SHUTDOWN_SIGNALS, checkedPort, shutdownOnce, type HostOptions, type ServedHandler, type ServingHost,
} from './host.js';

/** The parts of Deno's API this host calls (the project compiles without Deno's types). */
interface DenoNetAddr { hostname: string; port: number }
interface DenoHttpServer { readonly addr: DenoNetAddr; readonly finished: Promise<void>; shutdown(): Promise<void> }
interface DenoApi {
  serve(
    options: { port: number; hostname: string; onListen?: (addr: DenoNetAddr) => void; onError?: (error: unknown) => Response | Promise<Response> },
    handler: (request: Request) => Promise<Response>,
  ): DenoHttpServer;
  addSignalListener(signal: (typeof SHUTDOWN_SIGNALS)[number], handler: () => void): void;
  removeSignalListener(signal: (typeof SHUTDOWN_SIGNALS)[number], handler: () => void): void;
}

/** Starts serving `server` with Deno.serve; resolves once the socket listens. Throws outside Deno. */
export async function serveWithDeno(server: ServedHandler, options: HostOptions = {}): Promise<ServingHost> {
  const deno = (globalThis as { Deno?: DenoApi }).Deno;
  if (deno === undefined || typeof deno.serve !== 'function') throw new Error('serveWithDeno: no Deno.serve here (this host runs under Deno; on Node use `tessera serve`, on Bun serveWithBun)');
  const port = checkedPort(options.port, 'serveWithDeno');
  const onError = options.onError ?? ((e: unknown) => console.error('tessera serve (deno):', e));
  let listening!: (addr: DenoNetAddr) => void;
  const listened = new Promise<DenoNetAddr>((resolve) => { listening = resolve; });
  const http = deno.serve({
    port, hostname: options.hostname ?? DEFAULT_HOSTNAME, onListen: (addr) => listening(addr),
    // The handler answers every failure with a protocol error itself; this only catches what escapes it.
    onError: (error) => {
      onError(error);
      return Response.json({ error: `internal error: ${error instanceof Error ? error.message : String(error)}` }, { status: 500 });
    },
  }, (request) => server.handle(request));
  const onSignal = (): void => { stop.shutdown().catch(onError); };
  // Windows has no SIGTERM for Deno: listen to the signals this platform has.
  const watched: (typeof SHUTDOWN_SIGNALS)[number][] = [];
  const stop = shutdownOnce(() => http.shutdown(), server, () => {
    for (const s of watched) deno.removeSignalListener(s, onSignal);
    options.signal?.removeEventListener('abort', onSignal);
  });
  if (options.handleSignals ?? true) {
    for (const s of SHUTDOWN_SIGNALS) {
      try {
        deno.addSignalListener(s, onSignal);
        watched.push(s);
      } catch { /* not a signal of this platform */ }
    }
  }
  if (options.signal?.aborted) onSignal();
  else options.signal?.addEventListener('abort', onSignal, { once: true });
  // Load the models now rather than on the first request; a failure leaves the server not ready.
  server.ready().catch(onError);
  const addr = await listened;
  return { port: addr.port, hostname: addr.hostname, shutdown: stop.shutdown, finished: stop.finished };
}
