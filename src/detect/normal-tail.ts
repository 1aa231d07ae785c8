/**
 * The upper tail of the standard normal distribution, in the log domain so that it keeps
 * shrinking (and φ keeps growing) far into the tail instead of underflowing to 0 at z ≈ 38.
 *
 * Uses the Chebyshev fit of erfc from Numerical Recipes (`erfcc`, fractional error
 * < 1.2e-7 everywhere), whose form t·exp(poly) gives ln erfc directly.
 */

const LN10 = Math.LN10;

/** ln erfc(x) for x >= 0. */
function lnErfcNonNegative(x: number): number {
  const t = 1 / (1 + 0.5 * x);
  const poly =
    -1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  return Math.log(t) - x * x + poly;
}

/** ln Q(z) where Q(z) = P(Z > z) for a standard normal Z. Finite for every finite z. */
export function lnUpperTail(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const lnHalfErfc = Math.log(0.5) + lnErfcNonNegative(x);
  if (z >= 0) return lnHalfErfc;
  // Q(z) = 1 - Q(-z) for z < 0.
  return Math.log1p(-Math.exp(lnHalfErfc));
}

/** φ = -log10 Q(z): the accrual suspicion level for a standardised silence z. */
export function phiOfZ(z: number): number {
  return -lnUpperTail(z) / LN10;
}

/** Bisection bound on iterations for inverting φ (the interval halves each step). */
const INVERT_ITERATIONS_MAX = 200;

/**
 * The z at which `phiOfZ(z) === phi` (φ is strictly increasing in z), found by bisection to
 * ~1e-12 relative precision. phi must be finite and > 0.
 */
export function zOfPhi(phi: number): number {
  let lo = -40;
  // φ(z) ≈ z²/(2 ln 10) for large z, so this upper bound always brackets the root.
  let hi = Math.sqrt(2 * LN10 * phi) + 10;
  for (let i = 0; i < INVERT_ITERATIONS_MAX && hi - lo > 1e-12 * Math.max(1, Math.abs(hi)); i++) {
    const mid = (lo + hi) / 2;
    if (phiOfZ(mid) < phi) lo = mid;
    else hi = mid;
  }
  return hi;
}
