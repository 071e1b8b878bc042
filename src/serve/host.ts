// What the Deno and Bun hosts (deno.ts, bun.ts) share: the part of an InferenceServer a host
// needs, the options it takes, and the handle it returns. Web-standard only: a host touches its
// runtime (Deno.serve, Bun.serve) through globalThis when called, so importing it anywhere is safe.

/** The part of an `InferenceServer` (handler.ts) a host calls. */
export interface ServedHandler {
  handle(request: Request): Promise<Response>;
  ready(): Promise<void>;
  close(): Promise<void>;
}

export interface HostOptions {
  /** TCP port; 0 picks a free one (read it from the returned `port`). Default 8000. */
  port?: number;
  /** Interface to bind. Default '0.0.0.0'. */
  hostname?: string;
  /** Aborting it shuts the host down gracefully, as `shutdown()` does. */
  signal?: AbortSignal;
  /** Shut down gracefully on SIGTERM and SIGINT (what Kubernetes and Ctrl-C send). Default true. */
  handleSignals?: boolean;
  /** Called with a model loading failure (the server then reports not ready) and with errors the runtime reports. */
  onError?: (error: unknown) => void;
}

export interface ServingHost {
  /** The port the host listens on (the chosen one when `port` was 0). */
  readonly port: number;
  readonly hostname: string;
  /** Stops accepting connections, lets the requests in flight finish, then closes the server. Idempotent. */
  shutdown(): Promise<void>;
  /** Settles when the host has shut down. */
  readonly finished: Promise<void>;
}

export const DEFAULT_PORT = 8000;
export const DEFAULT_HOSTNAME = '0.0.0.0';
export const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/** Checks a port option before a runtime sees it, so the error names the option. */
export function checkedPort(port: number | undefined, host: string): number {
  const p = port ?? DEFAULT_PORT;
  if (!Number.isInteger(p) || p < 0 || p > 65535) throw new RangeError(`${host}: port must be an integer in 0..65535, got ${String(port)}`);
  return p;
}

/**
 * Runs `stopListening` then `server.close()` once, however many times it is asked (a signal,
 * the abort signal and a direct call may all arrive); settles `finished` when both are done.
 */
export function shutdownOnce(stopListening: () => Promise<void>, server: ServedHandler, cleanup: () => void): {
  shutdown: () => Promise<void>; finished: Promise<void>;
} {
  let done: Promise<void> | undefined;
  let settle!: () => void;
  const finished = new Promise<void>((resolve) => { settle = resolve; });
  const shutdown = (): Promise<void> => {
    done ??= (async () => {
      cleanup();
      try {
        await stopListening();
      } finally {
        await server.close();
        settle();
      }
    })();
    return done;
  };
  return { shutdown, finished };
}
