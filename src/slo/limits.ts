/**
 * Named limits of the SLO layer. Every loop over buckets, objectives, windows or spec
 * entries is bounded by one of these, checked where the data enters (spec parsing,
 * `restore()`).
 */
export const SloLimits = {
  /** Buckets kept by one recorder (ring size). 30 days of 1-minute buckets fit. */
  bucketsMax: 50_000,
  /** Objectives in one spec. */
  objectivesMax: 16,
  /** Alert windows in one alert table. */
  alertWindowsMax: 16,
  /** Methods named in one objective's filter. */
  methodsMax: 64,
  /** Length of a method name or objective name, in characters. */
  nameCharsMax: 128,
  /** Bytes of SLO spec text accepted. */
  specBytesMax: 256 * 1024,
  /** YAML documents in one spec file (OpenSLO files may hold several). */
  specDocumentsMax: 32,
  /** Longest SLO period: one year (366 days, so a leap year fits). */
  periodMsMax: 366 * 86_400_000,
  /** Shortest SLO period: one hour. */
  periodMsMin: 3_600_000,
  /** Requests added by one `record()` call (`count`). */
  recordCountMax: 1_000_000_000,
} as const;
