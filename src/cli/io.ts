// What every subcommand shares with the dispatcher (main.ts): where output lines go, and the error
// a subcommand throws for bad arguments (main prints the usage for it).

/** Where a command writes its output lines (the console, or a test's collector). */
export interface Io {
  out(line: string): void;
}

/** Bad command-line arguments: main prints the message and the usage, and exits 2. */
export class UsageError extends Error {}
