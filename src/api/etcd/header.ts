import type { NodeService } from '../../server/service.js';
import { hexId } from './int64.js';

export interface ResponseHeader {
  readonly cluster_id: string;
  readonly member_id: string;
  readonly revision: number;
  readonly raft_term: number;
}

/**
 * Builds etcd's ResponseHeader: cluster and member id (fixed for a member, read once),
 * the revision the response reflects and the member's current raft term.
 */
export class HeaderSource {
  readonly #service: NodeService;
  #ids: { clusterId: string; memberId: string } | undefined;

  constructor(service: NodeService) {
    this.#service = service;
  }

  header(revision: number): ResponseHeader {
    const s = this.#service.status();
    if (this.#ids === undefined || this.#ids.memberId === '0') {
      this.#ids = { clusterId: hexId(s.clusterId).toString(), memberId: hexId(s.memberId).toString() };
    }
    return { cluster_id: this.#ids.clusterId, member_id: this.#ids.memberId, revision, raft_term: s.term };
  }

  /** The store's revision now (for responses that change nothing). */
  currentRevision(): number {
    return this.#service.status().revision;
  }
}
