import type { Command } from 'commander';
import { ErrorCodes, NinesError } from '../core/errors.js';
import { NinesHttpClient } from '../server/client.js';
import { DEFAULT_UP_DATA_DIR, resolveEndpoints } from '../server/endpoints.js';
import type { NodeStatus } from '../server/service.js';
import { action, printJson } from './util.js';

interface StatusFlags {
  endpoints?: string;
  dataDir: string;
  json?: boolean;
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description("Show each member's role, leader, term, commit/applied index, revision and peer suspicion")
    .option('--endpoints <urls>', "members' HTTP URLs, comma-separated (default: from <data-dir>/cluster.json)")
    .option('--data-dir <dir>', 'where `nines up` wrote cluster.json', DEFAULT_UP_DATA_DIR)
    .option('--json', 'print one JSON document')
    .action(
      action(async (flags: StatusFlags) => {
        const endpoints = resolveEndpoints(flags.endpoints, flags.dataDir);
        const client = new NinesHttpClient(endpoints);
        const results = await Promise.all(
          endpoints.map(async (endpoint) => {
            try {
              return { endpoint, status: (await client.status(endpoint)) as NodeStatus };
            } catch (err) {
              return { endpoint, error: (err as Error).message };
            }
          }),
        );
        if (flags.json === true) {
          printJson({ members: results });
        } else {
          const out = process.stdout;
          out.write(`${'ENDPOINT'.padEnd(24)} ${'NAME'.padEnd(8)} ${'ID'.padEnd(13)} ${'ROLE'.padEnd(10)} ${'LEADER'.padEnd(8)} ${'TERM'.padStart(5)} ${'COMMIT'.padStart(8)} ${'APPLIED'.padStart(8)} ${'REV'.padStart(7)}  PEERS (suspicion)\n`);
          for (const r of results) {
            if (r.status === undefined) {
              out.write(`${r.endpoint.padEnd(24)} unreachable: ${r.error}\n`);
              continue;
            }
            const s = r.status;
            const peers = s.peers.map((p) => `${p.name}=${p.suspicion === null ? '-' : p.suspicion > 1e300 ? 'inf' : p.suspicion.toFixed(2)}`).join(' ');
            out.write(
              `${r.endpoint.padEnd(24)} ${s.name.padEnd(8)} ${s.memberId.padEnd(13)} ${s.role.padEnd(10)} ${(s.leaderName || '-').padEnd(8)} ` +
                `${String(s.term).padStart(5)} ${String(s.commitIndex).padStart(8)} ${String(s.appliedIndex).padStart(8)} ${String(s.revision).padStart(7)}  ${peers}\n`,
            );
          }
        }
        if (results.every((r) => r.status === undefined)) {
          throw new NinesError(ErrorCodes.UNAVAILABLE, `no member answered (${endpoints.join(', ')})`);
        }
      }),
    );
}
