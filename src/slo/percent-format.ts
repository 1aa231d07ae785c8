/**
 * An availability as a percentage with `significant` significant digits of its
 * unavailability, so small differences stay visible: U = 0.000298 → `99.9702%`,
 * U = 9.8506e-6 → `99.999015%`, U = 0.01 → `99.00%`. At least 2 decimals (trailing zeros beyond them dropped), at most 14.
 */
export function formatAvailabilityPercent(unavailability: number, significant = 3): string {
  if (!(unavailability > 0)) return '100%';
  if (unavailability >= 1) return '0%';
  const downPercent = Number((unavailability * 100).toPrecision(12));
  const firstDigit = Math.floor(-Math.log10(downPercent)) + 1;
  const decimals = Math.min(14, Math.max(2, firstDigit + significant - 1));
  const text = (100 - downPercent).toFixed(decimals).replace(/(\.\d\d\d*?)0+$/, '$1');
  return `${text}%`;
}

/** A nines count for people: 3.53, ∞ when nothing fails. */
export function formatNines(nines: number): string {
  return Number.isFinite(nines) ? nines.toFixed(2) : '∞';
}
