// What every subcommand shares with the dispatcher (main.ts): where output lines go, and the error
// a subcommand throws for bad arguments (main prints the usage for it).

/** Where a command writes its output lines (the console, or a test's collector). */
export interface Io {
  out(line: string): void;
}

/** Bad command-line arguments: main prints the message and the usage, and exits 2. */
export class UsageError extends Error {}

/** A value as the one JSON document `--json` prints: Maps as objects, bigints and non-finite numbers as strings. */
export function jsonDocument(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v instanceof Map) return Object.fromEntries(v);
    if (v instanceof Set) return [...v];
    if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : String(v);
    if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
    return v;
  }, 2);
}

/** An output path the command could not write (an unwritable folder, a missing parent, a directory): exit 2. */
export class CannotWriteError extends UsageError {
  constructor(readonly path: string, cause: unknown) {
    const code = (cause as { code?: string } | null)?.code;
    super(`cannot write '${path}': ${code ?? (cause instanceof Error ? cause.message : String(cause))}`);
  }
}

/** Runs `write` (which writes `path`), reporting any failure as CannotWriteError. */
export async function writing<T>(path: string, write: () => T | Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (e) {
    throw new CannotWriteError(path, e);
  }
}
