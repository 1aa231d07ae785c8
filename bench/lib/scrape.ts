import { type HistogramTotals, histogramTotals } from './prom-text.js';

/** Timeout of one /metrics scrape. */
const SCRAPE_TIMEOUT_MS = 2_000;

/** A histogram's totals from a /metrics URL; null when unreachable or absent (a diagnostic, never fatal). */
export async function scrapeHistogram(metricsUrl: string, name: string): Promise<HistogramTotals | null> {
  try {
    const res = await fetch(metricsUrl, { signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS) });
    const text = await res.text();
    return res.status === 200 ? histogramTotals(text, name) : null;
  } catch {
    return null;
  }
}
