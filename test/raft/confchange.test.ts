import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { type NodeId, nodeId } from '../../src/core/ids.js';
import {
  applyToConfState,
  type ConfChangeType,
  confChangeProblem,
  decodeConfChange,
  encodeConfChange,
} from '../../src/raft/confchange.js';

const cs = (voters: number[], learners: number[] = []) => ({
  voters: voters as NodeId[],
  learners: learners as NodeId[],
  votersOutgoing: [] as NodeId[],
});

describe('conf changes', () => {
  it('round-trips through bytes (property)', () => {
    const types: ConfChangeType[] = ['addVoter', 'addLearner', 'removeNode', 'promoteLearner'];
    fc.assert(
      fc.property(fc.constantFrom(...types), fc.integer({ min: 1, max: 2 ** 40 }), (type, id) => {
        const cc = { type, nodeId: nodeId(id) };
        expect(decodeConfChange(encodeConfChange(cc))).toEqual(cc);
      }),
    );
  });

  it('rejects malformed bytes', () => {
    expect(() => decodeConfChange(new TextEncoder().encode('{"type":"nope","nodeId":1}'))).toThrow(InvalidArgumentError);
    expect(() => decodeConfChange(new TextEncoder().encode('not json'))).toThrow(InvalidArgumentError);
    expect(() => decodeConfChange(new TextEncoder().encode('{"type":"addVoter","nodeId":0}'))).toThrow(InvalidArgumentError);
  });

  it('applies single-server changes', () => {
    expect(applyToConfState(cs([1, 2, 3]), { type: 'addVoter', nodeId: nodeId(4) })).toEqual(cs([1, 2, 3, 4]));
    expect(applyToConfState(cs([1, 2], [3]), { type: 'promoteLearner', nodeId: nodeId(3) })).toEqual(cs([1, 2, 3]));
    expect(applyToConfState(cs([1, 2, 3]), { type: 'addLearner', nodeId: nodeId(3) })).toEqual(cs([1, 2], [3]));
    expect(applyToConfState(cs([1, 2], [3]), { type: 'removeNode', nodeId: nodeId(3) })).toEqual(cs([1, 2]));
  });

  it('names what is wrong with an impossible change', () => {
    expect(confChangeProblem(cs([1]), { type: 'removeNode', nodeId: nodeId(1) })).toMatch(/only voter/);
    expect(confChangeProblem(cs([1, 2]), { type: 'promoteLearner', nodeId: nodeId(2) })).toMatch(/not a learner/);
    expect(confChangeProblem(cs([1, 2]), { type: 'addVoter', nodeId: nodeId(2) })).toMatch(/already a voter/);
    expect(confChangeProblem(cs([1, 2]), { type: 'removeNode', nodeId: nodeId(5) })).toMatch(/not a member/);
    expect(confChangeProblem(cs([1, 2]), { type: 'addVoter', nodeId: nodeId(3) })).toBeUndefined();
  });
});
