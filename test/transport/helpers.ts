import type { NodeId } from '../../src/core/ids.js';
import { PeerTransport, type PeerTransportOptions } from '../../src/transport/peer-transport.js';
import type { RaftMessage, TransportLogger } from '../../src/transport/transport.js';

export interface LogLine {
  level: 'info' | 'warn' | 'error';
  obj: Record<string, unknown>;
  msg: string | undefined;
}

/** A pino-shaped logger that records every line. */
export function recordingLogger(): TransportLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: LogLine['level']) =>
    (obj: object, msg?: string): void => {
      lines.push({ level, obj: obj as Record<string, unknown>, msg });
    };
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}

export async function waitFor(what: string, predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const id = (n: number) => n as NodeId;

export function msg(from: number, to: number, type: string, extra: Record<string, unknown> = {}): RaftMessage {
  return { from: id(from), to: id(to), type, ...extra };
}

export interface Node {
  transport: PeerTransport;
  received: RaftMessage[];
  logger: ReturnType<typeof recordingLogger>;
  unreachable: NodeId[];
}

export async function startNode(self: number, options: Partial<PeerTransportOptions> = {}): Promise<Node> {
  const logger = recordingLogger();
  const unreachable: NodeId[] = [];
  const transport = new PeerTransport({
    self: id(self),
    clusterId: 'cluster-A',
    logger,
    reportUnreachable: (p) => unreachable.push(p),
    ...options,
  });
  const received: RaftMessage[] = [];
  transport.onMessage((m) => received.push(m));
  await transport.start();
  return { transport, received, logger, unreachable };
}

/** Make every node a peer of every other. */
export function mesh(nodes: readonly Node[]): void {
  for (const a of nodes) {
    for (const b of nodes) {
      if (a !== b) a.transport.addPeer(b.transport.self, `http://127.0.0.1:${b.transport.port}`);
    }
  }
}
