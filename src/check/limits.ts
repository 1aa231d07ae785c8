/** Named limits of the linearizability checker (the history size itself is `Limits.historyOpsMax`). */
export const CheckLimits = {
  /** Parse errors collected from one history before the parser stops reporting more. */
  parseErrorsMax: 20,
  /** Bytes in one history file read by `nines check`. */
  historyBytesMax: 512 * 1024 * 1024,
  /** Search steps between two reads of the injected clock. */
  stepsPerClockCheck: 1024,
  /** Operations of the linearisable prefix shown in a failure explanation (the tail). */
  explainPrefixOpsMax: 10,
  /** Operations listed as "cannot be ordered" in a failure explanation. */
  explainStuckOpsMax: 20,
  /** Simplification rounds over one key's indeterminate ops (see `pruneIndeterminate`). */
  pruneRoundsMax: 16,
  /** Keys listed as undecided in an `unknown` verdict. */
  unknownKeysShownMax: 20,
} as const;
