import type { Command } from 'commander';
import { InvalidArgumentError } from '../core/errors.js';
import { NinesHttpClient, type WatchEventJson } from '../server/client.js';
import { DEFAULT_UP_DATA_DIR, resolveEndpoints } from '../server/endpoints.js';
import { action, intOption, printJson } from './util.js';

interface CommonFlags {
  endpoints?: string;
  dataDir: string;
  json?: boolean;
}

interface KvJson {
  key: string;
  value?: string;
  createRevision: number;
  modRevision: number;
  version: number;
  lease: number;
}

function common(cmd: Command): Command {
  return cmd
    .option('--endpoints <urls>', "members' HTTP URLs, comma-separated (default: from <data-dir>/cluster.json)")
    .option('--data-dir <dir>', 'where `nines up` wrote cluster.json', DEFAULT_UP_DATA_DIR)
    .option('--json', 'print JSON');
}

function client(flags: CommonFlags): NinesHttpClient {
  return new NinesHttpClient(resolveEndpoints(flags.endpoints, flags.dataDir));
}

export function registerKv(program: Command): void {
  const kv = program.command('kv').description('Read and write keys through the HTTP API (put, get, del, range, watch)');

  common(kv.command('put <key> <value>').description('Set a key; prints the new revision'))
    .option('--lease <id>', 'attach the key to this lease', intOption('--lease', 1))
    .option('--prev-kv', 'also print the previous key-value')
    .action(
      action(async (key: string, value: string, flags: CommonFlags & { lease?: number; prevKv?: boolean }) => {
        const opts: { lease?: number; prevKv?: boolean } = {};
        if (flags.lease !== undefined) opts.lease = flags.lease;
        if (flags.prevKv === true) opts.prevKv = true;
        const res = (await client(flags).put(key, value, opts)) as { revision: number; prevKv?: KvJson };
        if (flags.json === true) printJson(res);
        else {
          process.stdout.write(`OK revision ${res.revision}\n`);
          if (res.prevKv !== undefined) process.stdout.write(`previous: ${res.prevKv.value ?? ''}\n`);
        }
      }),
    );

  common(kv.command('get <key>').description("Print a key's value (exit 1 if absent)"))
    .option('--serializable', 'read from the contacted member without a ReadIndex round (may be stale)')
    .option('--rev <revision>', 'read at a past revision', intOption('--rev', 0))
    .action(
      action(async (key: string, flags: CommonFlags & { serializable?: boolean; rev?: number }) => {
        const opts: { serializable?: boolean; revision?: number } = {};
        if (flags.serializable === true) opts.serializable = true;
        if (flags.rev !== undefined) opts.revision = flags.rev;
        try {
          const res = (await client(flags).get(key, opts)) as KvJson;
          if (flags.json === true) printJson(res);
          else process.stdout.write(`${res.value ?? ''}\n`);
        } catch (err) {
          if ((err as { status?: number }).status === 404) {
            if (flags.json === true) printJson(null);
            else process.stderr.write(`nines: key "${key}" not found\n`);
            process.exitCode = 1;
            return;
          }
          throw err;
        }
      }),
    );

  common(kv.command('del <key>').description('Delete a key (or every key with the prefix); prints how many were deleted'))
    .option('--prefix', 'delete every key starting with <key>')
    .action(
      action(async (key: string, flags: CommonFlags & { prefix?: boolean }) => {
        const res = (await client(flags).delete(key, flags.prefix === true ? { prefix: true } : {})) as { revision: number; deleted: number };
        if (flags.json === true) printJson(res);
        else process.stdout.write(`${res.deleted}\n`);
      }),
    );

  common(kv.command('range <key> [rangeEnd]').description('List keys in [key, rangeEnd), or with --prefix every key starting with <key>'))
    .option('--prefix', 'every key starting with <key>')
    .option('--limit <n>', 'at most this many keys', intOption('--limit', 0))
    .option('--rev <revision>', 'read at a past revision', intOption('--rev', 0))
    .option('--keys-only', 'print keys only')
    .option('--count-only', 'print the count only')
    .option('--serializable', 'read from the contacted member without a ReadIndex round')
    .action(
      action(
        async (
          key: string,
          rangeEnd: string | undefined,
          flags: CommonFlags & { prefix?: boolean; limit?: number; rev?: number; keysOnly?: boolean; countOnly?: boolean; serializable?: boolean },
        ) => {
          if (flags.prefix === true && rangeEnd !== undefined) throw new InvalidArgumentError('give either [rangeEnd] or --prefix, not both');
          const request: Record<string, unknown> = { key };
          if (rangeEnd !== undefined) request['rangeEnd'] = rangeEnd;
          if (flags.prefix === true) request['prefix'] = true;
          if (flags.limit !== undefined) request['limit'] = flags.limit;
          if (flags.rev !== undefined) request['revision'] = flags.rev;
          if (flags.keysOnly === true) request['keysOnly'] = true;
          if (flags.countOnly === true) request['countOnly'] = true;
          if (flags.serializable === true) request['serializable'] = true;
          const res = (await client(flags).range(request)) as { kvs: KvJson[]; count: number; more: boolean; revision: number };
          if (flags.json === true) printJson(res);
          else if (flags.countOnly === true) process.stdout.write(`${res.count}\n`);
          else for (const kv of res.kvs) process.stdout.write(flags.keysOnly === true ? `${kv.key}\n` : `${kv.key}\n${kv.value ?? ''}\n`);
        },
      ),
    );

  common(kv.command('watch <key>').description('Print changes to a key (or prefix) as they happen, until Ctrl-C'))
    .option('--prefix', 'watch every key starting with <key>')
    .option('--rev <revision>', 'start at this revision (inclusive), replaying history', intOption('--rev', 1))
    .option('--prev-kv', 'include the previous key-value of each change')
    .action(
      action(async (key: string, flags: CommonFlags & { prefix?: boolean; rev?: number; prevKv?: boolean }) => {
        const query: Record<string, string> = { key };
        if (flags.prefix === true) query['prefix'] = 'true';
        if (flags.rev !== undefined) query['startRevision'] = String(flags.rev);
        if (flags.prevKv === true) query['prevKv'] = 'true';
        const abort = new AbortController();
        process.once('SIGINT', () => abort.abort());
        process.once('SIGTERM', () => abort.abort());
        await client(flags).watch(
          query,
          (e: WatchEventJson) => {
            if (flags.json === true) {
              process.stdout.write(`${JSON.stringify({ event: e.event, ...e.data })}\n`);
              return;
            }
            const kv = e.data['kv'] as KvJson | undefined;
            if (e.event === 'put' && kv !== undefined) process.stdout.write(`PUT ${kv.key} ${kv.value ?? ''} (rev ${kv.modRevision})\n`);
            else if (e.event === 'delete' && kv !== undefined) process.stdout.write(`DELETE ${kv.key} (rev ${kv.modRevision})\n`);
            else if (e.event === 'cancelled') process.stderr.write(`watch cancelled: ${JSON.stringify(e.data)}\n`);
          },
          abort.signal,
        );
      }),
    );
}
