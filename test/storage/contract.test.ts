import { afterAll } from 'vitest';
import type { LogIndex } from '../../src/core/ids.js';
import type { DiskStorage } from '../../src/storage/disk-storage.js';
import { type ContractSubject, raftStorageContract } from './contract.js';
import { openStorage, removeTempDirs, tempDir } from './helpers.js';
import { ModelStorage } from './model.js';

afterAll(removeTempDirs);

function diskSubject(storage: DiskStorage): ContractSubject {
  return {
    storage,
    append: (entries) => storage.save({ entries }),
    applySnapshot: (snapshot) => storage.save({ snapshot }),
    compact: async (index: LogIndex) => {
      if (storage.snapshot().metadata.index < index) {
        const metadata = { index, term: storage.term(index), confState: storage.initialState().confState };
        await storage.saveSnapshot({ metadata, data: new Uint8Array(0) });
      }
      await storage.compact(index);
    },
    setHardState: (hardState) => storage.save({ hardState }),
    close: () => storage.close(),
  };
}

raftStorageContract('DiskStorage', async () => diskSubject(await openStorage(tempDir())));

raftStorageContract('DiskStorage with a 1-byte cache (every read from LMDB)', async () =>
  diskSubject(await openStorage(tempDir(), { cacheBytesMax: 1 })),
);

raftStorageContract('ModelStorage (the property-test model)', async () => {
  const model = new ModelStorage();
  return {
    storage: model,
    append: async (entries) => model.append(entries),
    applySnapshot: async (snapshot) => model.applySnapshot(snapshot),
    compact: async (index) => model.compact(index),
    setHardState: async (hardState) => {
      model.hardState = hardState;
    },
    close: async () => undefined,
  };
});
