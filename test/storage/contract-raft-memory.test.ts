import { MemoryStorage } from '../../src/raft/memory-storage.js';
import { raftStorageContract } from './contract.js';

// The same contract against raft's MemoryStorage, so both implementations keep one meaning.
raftStorageContract('raft MemoryStorage', async () => {
  const storage = new MemoryStorage();
  return {
    storage,
    append: async (entries) => storage.append(entries),
    applySnapshot: async (snapshot) => storage.applySnapshot(snapshot),
    compact: async (index) => {
      if (storage.snapshot().metadata.index < index) storage.compact(index, new Uint8Array(0));
      else storage.compact(index);
    },
    setHardState: async (hardState) => storage.setHardState(hardState),
    close: async () => undefined,
  };
});
