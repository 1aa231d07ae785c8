import { assert } from '../core/errors.js';

/**
 * The k-th smallest of values[0..n) (0-based), by quickselect (Hoare partition, median of
 * three pivots): expected O(n). Reorders `values` in place.
 */
export function selectKth(values: Float64Array, n: number, k: number): number {
  assert(n > 0 && n <= values.length && k >= 0 && k < n, 'selectKth: 0 <= k < n <= length');
  let lo = 0;
  let hi = n - 1;
  // Each round shrinks [lo, hi]; n rounds bound it even in the worst case.
  for (let round = 0; round <= n && lo < hi; round++) {
    const mid = (lo + hi) >>> 1;
    const a = values[lo]!;
    const b = values[mid]!;
    const c = values[hi]!;
    // median of three: max(min(a, b), min(max(a, b), c))
    const pivot = Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i]! < pivot) i++;
      while (values[j]! > pivot) j--;
      if (i <= j) {
        const t = values[i]!;
        values[i] = values[j]!;
        values[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return values[k]!;
  }
  return values[k]!;
}

/** The q-quantile (0 <= q <= 1, nearest rank) of values[0..n); reorders `values`. */
export function quantileInPlace(values: Float64Array, n: number, q: number): number {
  assert(q >= 0 && q <= 1, 'quantile in [0, 1]');
  return selectKth(values, n, Math.min(n - 1, Math.floor(q * n)));
}
