/** Named limits of the synthetic prober (`nines probe`). */
export const ProbeLimits = {
  /** Keys a prober cycles through (`nines-probe/<id>/<0..keySlots-1>`), so it never grows the key space. */
  keySlots: 16,
  /** Attempts one probe run may make (bounds the latency samples kept in memory). */
  attemptsMax: 1_000_000,
  /** Endpoints one prober fails over between. */
  endpointsMax: 64,
  /** Length of a prober id, in characters. */
  idCharsMax: 64,
  /** Shortest interval between probe cycles. */
  intervalMsMin: 10,
  /** Longest probe run: one week. */
  durationMsMax: 7 * 86_400_000,
  /** Per-request timeout bounds. */
  timeoutMsMin: 10,
  timeoutMsMax: 60_000,
} as const;
