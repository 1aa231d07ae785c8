/** Named limits of the simulator: every loop, queue and buffer of a run is bounded by one of these. */
export const SimLimits = {
  /** Events processed in one run before it is stopped as a failure (a livelock or a runaway). */
  eventsPerRunMax: 2_000_000,
  /** Events pending in the queue at once. */
  queuedEventsMax: 1_000_000,
  /** Last events kept for the failure trace (ring buffer). */
  traceEventsMax: 60,
  /** Messages queued at a paused node before new ones are dropped. */
  pausedInboxMessagesMax: 10_000,
  /** Violations recorded in one run (the first ones matter). */
  violationsMax: 20,
  /** Client requests a node keeps waiting for their entry to apply or their read index. */
  pendingRequestsPerNodeMax: 10_000,
  /** Attempts of one client operation that was redirected by a "not leader" answer. */
  redirectsPerOpMax: 5,
  /** Nodes in a simulated cluster. */
  nodesMax: 9,
  /** Runs of one `nines sim --runs M`. */
  runsMax: 1_000_000,
  /** Operations one client issues in one run. */
  opsPerClientMax: 200_000,
} as const;
