// Failure classes the in-process fuzz test (fuzz.test.ts) tolerates because a fix is under way
// elsewhere. Each entry names the fix; fuzz.test.ts fails when an entry no longer occurs, so that
// it is removed as soon as the fix lands. `match` is tested against outcome.ts's failureClass().

export interface KnownFailure {
  readonly name: string;
  readonly match: RegExp;
  /** Which change fixes it. */
  readonly fixedBy: string;
}

export const KNOWN_FAILURES: readonly KnownFailure[] = [];
