import { InvalidArgumentError } from '../core/errors.js';
import { AdaptiveDetector } from './adaptive.js';
import { BertierDetector } from './bertier.js';
import { ChenDetector } from './chen.js';
import type { DeadlineDetector } from './deadline.js';
import type { DetectorFactory } from './detector.js';
import { EventuallyPerfectDetector } from './eventually-perfect.js';
import { FixedTimeoutDetector } from './fixed-timeout.js';
import { PhiExponentialDetector } from './phi-exponential.js';
import { PhiNormalDetector } from './phi-normal.js';

/** Numeric detector parameters by name, e.g. `{ threshold: 8 }`; unknown keys are rejected. */
export type DetectorParams = Readonly<Record<string, number>>;

const BUILDERS = {
  adaptive: (p: DetectorParams) => new AdaptiveDetector(p),
  fixed: (p: DetectorParams) => new FixedTimeoutDetector(p),
  'eventually-perfect': (p: DetectorParams) => new EventuallyPerfectDetector(p),
  'phi-normal': (p: DetectorParams) => new PhiNormalDetector(p),
  'phi-exponential': (p: DetectorParams) => new PhiExponentialDetector(p),
  chen: (p: DetectorParams) => new ChenDetector(p),
  bertier: (p: DetectorParams) => new BertierDetector(p),
} as const satisfies Record<string, (p: DetectorParams) => DeadlineDetector>;

export type DetectorName = keyof typeof BUILDERS;

/** Every detector name, the default (`adaptive`) first. */
export const detectorNames: readonly DetectorName[] = Object.keys(BUILDERS) as DetectorName[];

/** The nines default detector. */
export const defaultDetectorName: DetectorName = 'adaptive';

export function isDetectorName(name: string): name is DetectorName {
  return Object.hasOwn(BUILDERS, name);
}

/**
 * A new detector by name with validated parameters (defaults for those not given).
 * An unknown name or parameter, or a bad value, is an InvalidArgumentError naming it.
 */
export function createDetector(name: string, params: DetectorParams = {}): DeadlineDetector {
  if (!isDetectorName(name)) {
    throw new InvalidArgumentError(`unknown failure detector "${name}": choose one of ${detectorNames.join(', ')}`);
  }
  return BUILDERS[name](params);
}

/** A factory (one fresh detector per monitored peer); validates the parameters once, now. */
export function detectorFactory(name: string, params: DetectorParams = {}): DetectorFactory {
  createDetector(name, params);
  return () => createDetector(name, params);
}
