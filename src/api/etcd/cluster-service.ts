import type * as grpc from '@grpc/grpc-js';
import type { EtcdBackend, EtcdMember } from './backend.js';
import { EtcdError } from './errors.js';
import { type CallGuard, unary } from './handlers.js';
import type { HeaderSource } from './header.js';
import { hexId, uint64 } from './int64.js';

type Res = Record<string, unknown>;

/**
 * Client URLs as the member list gives them: plain-text URLs without their "http://" scheme.
 * etcdctl 3.4 (`endpoint … --cluster`) dials member URLs verbatim as the HTTP/2 authority,
 * which etcd's Go server tolerates and Node's HTTP/2 refuses (PROTOCOL_ERROR); every etcd
 * client accepts "host:port". https:// URLs keep their scheme (it says to use TLS).
 */
export function listedClientUrl(url: string): string {
  return url.startsWith('http://') ? url.slice('http://'.length) : url;
}

function memberOut(m: EtcdMember): Res {
  return { ID: m.id.toString(), name: m.name, peerURLs: [...m.peerUrls], clientURLs: m.clientUrls.map(listedClientUrl), isLearner: m.isLearner };
}

/** Members as the node's status knows them (used when the backend has no Cluster capability). */
export function membersFromStatus(backend: EtcdBackend): EtcdMember[] {
  const s = backend.status();
  const self: EtcdMember = { id: hexId(s.memberId), name: s.name, peerUrls: s.peerUrl === '' ? [] : [s.peerUrl], clientUrls: [...s.clientUrls], isLearner: false };
  const peers = s.peers.map((p): EtcdMember => ({ id: hexId(p.id), name: p.name, peerUrls: [p.peerUrl], clientUrls: [], isLearner: false }));
  return [self, ...peers];
}

function notCapable(): never {
  throw new EtcdError('notCapable');
}

/** etcd's Cluster service over an EtcdBackend. */
export function clusterHandlers(backend: EtcdBackend, headers: HeaderSource, guard: CallGuard): grpc.UntypedServiceImplementation {
  // etcd's Cluster responses carry no revision.
  const h = (): Res => ({ ...headers.header(0) });
  return {
    MemberList: unary<Record<string, never>, Res>('MemberList', guard, async () => {
      const members = backend.cluster ? await backend.cluster.memberList() : membersFromStatus(backend);
      return { header: h(), members: members.map(memberOut) };
    }),
    MemberAdd: unary<{ peerURLs: string[]; isLearner: boolean }, Res>('MemberAdd', guard, async (r) => {
      const cap = backend.cluster ?? notCapable();
      for (const u of r.peerURLs) if (!URL.canParse(u)) throw new EtcdError('memberBadUrls');
      if (r.peerURLs.length === 0) throw new EtcdError('memberBadUrls');
      const res = await cap.memberAdd(r.peerURLs, r.isLearner);
      return { header: h(), member: memberOut(res.member), members: res.members.map(memberOut) };
    }),
    MemberRemove: unary<{ ID: string }, Res>('MemberRemove', guard, async (r) => {
      const cap = backend.cluster ?? notCapable();
      return { header: h(), members: (await cap.memberRemove(uint64(r.ID))).map(memberOut) };
    }),
    MemberUpdate: unary<{ ID: string; peerURLs: string[] }, Res>('MemberUpdate', guard, async (r) => {
      const cap = backend.cluster ?? notCapable();
      for (const u of r.peerURLs) if (!URL.canParse(u)) throw new EtcdError('memberBadUrls');
      return { header: h(), members: (await cap.memberUpdate(uint64(r.ID), r.peerURLs)).map(memberOut) };
    }),
    MemberPromote: unary<{ ID: string }, Res>('MemberPromote', guard, async (r) => {
      const cap = backend.cluster ?? notCapable();
      return { header: h(), members: (await cap.memberPromote(uint64(r.ID))).map(memberOut) };
    }),
  };
}
