/**
 * The one place the simulator names raft's modules, so a move inside `raft/` is a one-line
 * change here.
 */
export {
  type ConfChange,
  decodeConfChange,
  type Message,
  NotLeaderError,
  type RaftConfig,
  type RaftTestBugs,
  RawNode,
  type Ready,
  type ReadState,
  type Role,
} from '../raft/index.js';
