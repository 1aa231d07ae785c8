import { createHash } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { EtcdBackend, EtcdAlarm, AlarmType } from './backend.js';
import { InvalidArgumentError } from '../../core/errors.js';
import { EtcdError } from './errors.js';
import { type CallGuard, grpcError, reportIfInternal, unary } from './handlers.js';
import type { HeaderSource } from './header.js';
import { hexId, nonNegative, uint64 } from './int64.js';
import { framedBodyBytes, snapshotHead, snapshotPadding } from './snapshot-file.js';
import { ETCD_COMPAT_VERSION, NINES_VERSION_METADATA_KEY } from './version.js';

type Res = Record<string, unknown>;

export const SnapshotLimits = {
  /** Bytes per SnapshotResponse blob (etcd sends 32 KiB chunks). */
  chunkBytes: 32 * 1024,
} as const;

function alarmsOut(alarms: readonly EtcdAlarm[]): Res[] {
  return alarms.map((a) => ({ memberID: a.memberId.toString(), alarm: a.alarm }));
}

/** etcd's alarm text in StatusResponse.errors. */
function alarmText(a: EtcdAlarm): string {
  return `memberID:${a.memberId.toString()} alarm:${a.alarm} `;
}

function notCapable(): never {
  throw new EtcdError('notCapable');
}

/** etcd's Maintenance service over an EtcdBackend (missing capabilities: see backend.ts). */
export function maintenanceHandlers(backend: EtcdBackend, headers: HeaderSource, guard: CallGuard, ninesVersion: string): grpc.UntypedServiceImplementation {
  return {
    Status: unary<Record<string, never>, Res>('Status', guard, async (_r, call) => {
      const s = backend.status();
      const alarms = backend.alarms ? await backend.alarms.list() : [];
      const db = backend.maintenance?.dbSize() ?? { sizeBytes: 0, inUseBytes: 0 };
      const md = new grpc.Metadata();
      md.set(NINES_VERSION_METADATA_KEY, ninesVersion);
      call.sendMetadata(md);
      return {
        header: headers.header(s.revision),
        version: ETCD_COMPAT_VERSION,
        dbSize: db.sizeBytes,
        leader: hexId(s.leader).toString(),
        raftIndex: s.commitIndex,
        raftTerm: s.term,
        raftAppliedIndex: s.appliedIndex,
        errors: alarms.map(alarmText),
        dbSizeInUse: db.inUseBytes,
        isLearner: backend.maintenance?.isLearner() ?? false,
      };
    }),
    Alarm: unary<{ action: string; memberID: string; alarm: string }, Res>('Alarm', guard, async (r) => {
      const cap = backend.alarms;
      let alarms: readonly EtcdAlarm[] = [];
      if (r.action === 'GET') {
        alarms = cap ? await cap.list() : [];
        if (r.alarm !== 'NONE') alarms = alarms.filter((a) => a.alarm === r.alarm);
      } else if (r.action === 'ACTIVATE' || r.action === 'DEACTIVATE') {
        if (!cap) notCapable();
        if (r.alarm !== 'NOSPACE' && r.alarm !== 'CORRUPT') {
          // etcd answers a NONE alarm change with no alarms.
          alarms = [];
        } else {
          const id = uint64(r.memberID);
          const type: AlarmType = r.alarm;
          alarms = r.action === 'ACTIVATE' ? await cap.activate(id, type) : await cap.deactivate(id, type);
        }
      } else {
        throw new InvalidArgumentError(`etcdserver: unknown alarm action ${String(r.action)}`);
      }
      return { header: headers.header(headers.currentRevision()), alarms: alarmsOut(alarms) };
    }),
    Hash: unary<Record<string, never>, Res>('Hash', guard, async () => {
      const cap = backend.maintenance ?? notCapable();
      const h = await cap.hash();
      return { header: headers.header(h.revision), hash: h.hash >>> 0 };
    }),
    HashKV: unary<{ revision: string }, Res>('HashKV', guard, async (r) => {
      const cap = backend.maintenance ?? notCapable();
      const h = await cap.hashKv(nonNegative(r.revision));
      return { header: headers.header(h.revision), hash: h.hash >>> 0, compact_revision: h.compactRevision };
    }),
    MoveLeader: unary<{ targetID: string }, Res>('MoveLeader', guard, async (r) => {
      const cap = backend.maintenance ?? notCapable();
      await cap.moveLeader(uint64(r.targetID));
      return { header: headers.header(headers.currentRevision()) };
    }),
    Defragment: unary<Record<string, never>, Res>('Defragment', guard, async () => {
      await backend.maintenance?.defragment();
      return { header: headers.header(headers.currentRevision()) };
    }),
    Snapshot: (call: grpc.ServerWritableStream<Record<string, never>, Res>) => {
      void (async () => {
        try {
          await guard(call, 'Snapshot', undefined);
          const cap = backend.maintenance ?? notCapable();
          const snap = await cap.snapshot();
          // Framed as snapshot-file.ts describes: head, payload, padding, SHA-256.
          const sha = createHash('sha256');
          const bodyBytes = framedBodyBytes(snap.sizeBytes);
          const total = bodyBytes + 32;
          let sent = 0;
          let first = true;
          const send = async (blob: Buffer, hash: boolean): Promise<void> => {
            if (hash) sha.update(blob);
            for (let off = 0; off < blob.length; off += SnapshotLimits.chunkBytes) {
              const part = blob.subarray(off, off + SnapshotLimits.chunkBytes);
              sent += part.length;
              const res: Res = { remaining_bytes: total - sent, blob: part };
              if (first) res['header'] = headers.header(snap.revision);
              first = false;
              if (!call.write(res)) await new Promise<void>((resolve) => call.once('drain', resolve));
              if (call.cancelled) return;
            }
          };
          await send(snapshotHead(snap.sizeBytes), true);
          let payloadBytes = 0;
          for await (const chunk of snap.chunks) {
            payloadBytes += chunk.byteLength;
            await send(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength), true);
            if (call.cancelled) return;
          }
          if (payloadBytes !== snap.sizeBytes) throw new EtcdError('corrupt');
          await send(snapshotPadding(snap.sizeBytes), true);
          await send(sha.digest(), false);
          call.end();
        } catch (err) {
          reportIfInternal(guard, 'Snapshot', err);
          call.emit('error', grpcError(err));
        }
      })();
    },
  };
}
