/**
 * Pareto fronts and dominance over (mean detection time, mistake rate) points, both minimised.
 */
export interface QosPoint {
  readonly detectionMs: number;
  readonly mistakesPerHour: number;
}

/** The points no other point beats on both axes (ties kept once), sorted by detection time. */
export function paretoFront<P extends QosPoint>(points: readonly P[]): P[] {
  const finite = points.filter((p) => Number.isFinite(p.detectionMs) && Number.isFinite(p.mistakesPerHour));
  const sorted = [...finite].sort((a, b) => a.detectionMs - b.detectionMs || a.mistakesPerHour - b.mistakesPerHour);
  const front: P[] = [];
  let bestRate = Number.POSITIVE_INFINITY;
  for (const p of sorted) {
    if (p.mistakesPerHour < bestRate) {
      front.push(p);
      bestRate = p.mistakesPerHour;
    }
  }
  return front;
}

/** q is no worse than p on both axes, within a relative tolerance (0.02 = 2%). */
export function weaklyDominatesPoint(q: QosPoint, p: QosPoint, tolerance: number): boolean {
  return q.detectionMs <= p.detectionMs * (1 + tolerance) && q.mistakesPerHour <= p.mistakesPerHour * (1 + tolerance);
}

/** Their points that no point of ours weakly dominates (empty: our front dominates theirs). */
export function undominated(ours: readonly QosPoint[], theirs: readonly QosPoint[], tolerance: number): QosPoint[] {
  return theirs.filter((p) => !ours.some((q) => weaklyDominatesPoint(q, p, tolerance)));
}

/**
 * Ours strictly beats theirs somewhere: some point of theirs is matched by one of ours that is
 * no worse on both axes and better by more than the tolerance on at least one.
 */
export function strictlyBeatsSomewhere(ours: readonly QosPoint[], theirs: readonly QosPoint[], tolerance: number): boolean {
  return theirs.some((p) =>
    ours.some(
      (q) =>
        q.detectionMs <= p.detectionMs &&
        q.mistakesPerHour <= p.mistakesPerHour &&
        (q.detectionMs < p.detectionMs * (1 - tolerance) || q.mistakesPerHour < p.mistakesPerHour * (1 - tolerance)),
    ),
  );
}

/**
 * How far our front is from dominating one of their points: the smallest, over our points,
 * of the larger relative excess on the two axes (0 if some point of ours is no worse on both;
 * Infinity if only a zero-mistake point of theirs is unmatched by a zero-mistake one of ours).
 */
export function dominanceGap(ours: readonly QosPoint[], p: QosPoint): number {
  let best = Number.POSITIVE_INFINITY;
  for (const q of ours) {
    const td = p.detectionMs > 0 ? q.detectionMs / p.detectionMs : q.detectionMs > 0 ? Number.POSITIVE_INFINITY : 1;
    const rate = p.mistakesPerHour > 0 ? q.mistakesPerHour / p.mistakesPerHour : q.mistakesPerHour > 0 ? Number.POSITIVE_INFINITY : 1;
    best = Math.min(best, Math.max(td, rate, 1) - 1);
  }
  return best;
}

/** A point with its mistake count (the bench compares fronts measured on the same trace). */
export interface CountedQosPoint extends QosPoint {
  readonly mistakes: number;
}

/**
 * q is no worse than p "within noise": detection time within the tolerance, and mistakes within
 * the tolerance or within `z` standard errors of the difference of two Poisson counts,
 * m_q − m_p <= z·√(m_q + m_p). On a trace of a fraction of an hour one false suspicion more or
 * less is chance (which of two equally good detectors happens to fire on one borderline gap);
 * this treats such differences as ties and still fails a front that is worse by more than that.
 */
export function coversWithinNoise(q: CountedQosPoint, p: CountedQosPoint, tolerance: number, z: number): boolean {
  if (q.detectionMs > p.detectionMs * (1 + tolerance)) return false;
  return q.mistakes <= p.mistakes * (1 + tolerance) || q.mistakes - p.mistakes <= z * Math.sqrt(q.mistakes + p.mistakes);
}

/** Their points that no point of ours covers within noise (see coversWithinNoise). */
export function undominatedWithinNoise<P extends CountedQosPoint>(ours: readonly CountedQosPoint[], theirs: readonly P[], tolerance: number, z: number): P[] {
  return theirs.filter((p) => !ours.some((q) => coversWithinNoise(q, p, tolerance, z)));
}
