import { describe, expect, it } from 'vitest';
import { ErrorCodes, InvalidArgumentError, NinesError } from '../../src/core/errors.js';
import { GrpcCodes, outcomeOfCode, outcomeOfError, outcomeOfGrpcCode, outcomeOfHttpStatus } from '../../src/slo/outcome.js';

describe('outcome classification', () => {
  it('treats server-side failures as bad and client mistakes as client errors', () => {
    for (const c of ['UNAVAILABLE', 'TIMEOUT', 'INTERNAL', 'NO_LEADER', 'NOT_LEADER', 'STOPPED', 'CORRUPT'] as const) {
      expect(outcomeOfCode(ErrorCodes[c])).toBe('bad');
    }
    for (const c of ['INVALID_ARGUMENT', 'NOT_FOUND', 'PERMISSION_DENIED', 'COMPACTED', 'FUTURE_REVISION', 'LEASE_NOT_FOUND'] as const) {
      expect(outcomeOfCode(ErrorCodes[c])).toBe('client_error');
    }
  });

  it('classifies every NinesError code', () => {
    for (const code of Object.values(ErrorCodes)) {
      expect(['bad', 'client_error']).toContain(outcomeOfCode(code));
    }
  });

  it('classifies thrown values', () => {
    expect(outcomeOfError(undefined)).toBe('good');
    expect(outcomeOfError(new InvalidArgumentError('x'))).toBe('client_error');
    expect(outcomeOfError(new NinesError(ErrorCodes.UNAVAILABLE, 'down'))).toBe('bad');
    expect(outcomeOfError(new TypeError('bug'))).toBe('bad');
  });

  it('classifies HTTP statuses', () => {
    expect(outcomeOfHttpStatus(200)).toBe('good');
    expect(outcomeOfHttpStatus(307)).toBe('good');
    expect(outcomeOfHttpStatus(400)).toBe('client_error');
    expect(outcomeOfHttpStatus(404)).toBe('client_error');
    expect(outcomeOfHttpStatus(429)).toBe('bad');
    expect(outcomeOfHttpStatus(500)).toBe('bad');
    expect(outcomeOfHttpStatus(503)).toBe('bad');
    expect(outcomeOfHttpStatus(42)).toBe('bad');
  });

  it('classifies gRPC codes', () => {
    expect(outcomeOfGrpcCode(GrpcCodes.OK)).toBe('good');
    expect(outcomeOfGrpcCode(GrpcCodes.NOT_FOUND)).toBe('client_error');
    expect(outcomeOfGrpcCode(GrpcCodes.INVALID_ARGUMENT)).toBe('client_error');
    expect(outcomeOfGrpcCode(GrpcCodes.PERMISSION_DENIED)).toBe('client_error');
    expect(outcomeOfGrpcCode(GrpcCodes.UNAVAILABLE)).toBe('bad');
    expect(outcomeOfGrpcCode(GrpcCodes.DEADLINE_EXCEEDED)).toBe('bad');
    expect(outcomeOfGrpcCode(GrpcCodes.INTERNAL)).toBe('bad');
    expect(outcomeOfGrpcCode(99)).toBe('bad');
  });
});
