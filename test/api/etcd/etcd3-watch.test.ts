import type { Etcd3, IKeyValue } from 'etcd3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { etcd3Client, recordEvents, sleep, TARGETS, type Target, waitFor, within } from './etcd3-helpers.js';

describe.each(TARGETS)('etcd3 client against $name: watch', (kind) => {
  let s: Target;
  let client: Etcd3;

  beforeAll(async () => {
    s = await kind.start();
    client = etcd3Client(s.endpoint);
  });
  afterAll(async () => {
    client.close();
    await s.stop();
  });

  test('a key watcher sees puts and deletes in order, with prevKv, and ends on cancel', async () => {
    const w = await client.watch().key('wk/a').withPreviousKV().create();
    const seen = recordEvents(w);
    const puts: [IKeyValue, IKeyValue | undefined][] = [];
    w.on('put', (kv, prev) => puts.push([kv, prev]));
    await client.put('wk/a').value('1');
    await client.put('wk/other').value('x');
    await client.put('wk/a').value('2');
    await client.delete().key('wk/a');
    await waitFor('3 events', () => seen.length >= 3);
    expect(seen.map(({ modRevision: _, ...rest }) => rest)).toEqual([
      { type: 'put', key: 'wk/a', value: '1' },
      { type: 'put', key: 'wk/a', value: '2', prevValue: '1' },
      { type: 'delete', key: 'wk/a', value: '', prevValue: '2' },
    ]);
    expect(seen[0]!.modRevision).toBeLessThan(seen[1]!.modRevision);
    expect(seen[1]!.modRevision).toBeLessThan(seen[2]!.modRevision);
    expect(puts.map(([kv, prev]) => [kv.value.toString(), prev?.value.toString()])).toEqual([
      ['1', undefined],
      ['2', '1'],
    ]);
    const ended = new Promise<void>((resolve) => w.once('end', resolve));
    await w.cancel();
    await within('end event', ended);
    await client.put('wk/a').value('after-cancel');
    expect(seen.length).toBe(3);
  });

  test('prefix watchers, filters, several watchers on one stream', async () => {
    const all = await client.watch().prefix('wp/').create();
    const onlyDeletes = await client.watch().prefix('wp/').only('delete').create();
    const one = await client.watch().key('wp/b').create();
    const [sAll, sDel, sOne] = [recordEvents(all), recordEvents(onlyDeletes), recordEvents(one)];
    await client.put('wp/a').value('1');
    await client.put('wp/b').value('2');
    await client.put('wpx').value('outside');
    await client.delete().prefix('wp/');
    await waitFor('4 prefix events', () => sAll.length >= 4);
    await waitFor('2 delete events', () => sDel.length >= 2);
    await waitFor('2 events on wp/b', () => sOne.length >= 2);
    expect(sAll.map((e) => `${e.type} ${e.key}`)).toEqual(['put wp/a', 'put wp/b', 'delete wp/a', 'delete wp/b']);
    expect(sDel.map((e) => `${e.type} ${e.key}`)).toEqual(['delete wp/a', 'delete wp/b']);
    expect(sOne.map((e) => `${e.type} ${e.key}`)).toEqual(['put wp/b', 'delete wp/b']);
    // Both deletes came from one DeleteRange: one revision.
    expect(sAll[2]!.modRevision).toBe(sAll[3]!.modRevision);
    await Promise.all([all.cancel(), onlyDeletes.cancel(), one.cancel()]);
  });

  test('a watcher from an old start revision replays history; a compacted one errors', async () => {
    const first = Number((await client.put('wh/k').value('h1').exec()).header.revision);
    await client.put('wh/k').value('h2');
    await client.put('wh/k').value('h3');
    const w = await client.watch().key('wh/k').startRevision(String(first)).create();
    const seen = recordEvents(w);
    await waitFor('3 replayed events', () => seen.length >= 3);
    expect(seen.map((e) => e.value)).toEqual(['h1', 'h2', 'h3']);
    expect(seen[0]!.modRevision).toBe(first);
    await w.cancel();
    await client.kv.compact({ revision: String(first + 1) });
    const old = client.watch().key('wh/k').startRevision(String(first)).watcher();
    const err = await within('compacted watch error', new Promise<Error>((resolve) => old.once('error', resolve)));
    // etcd 3.4 sends an empty cancel_reason with compact_revision set; etcd3 reports just this.
    expect(err.message).toBe('Watcher canceled: ');
    // The server cancelled it: etcd3 has already dropped it (cancel() would wait forever).
  });

  test('a watcher replaying history while writes continue misses and repeats nothing', async () => {
    const start = Number((await client.put('wr/0').value('0').exec()).header.revision);
    for (let i = 1; i < 50; i++) await client.put(`wr/${i % 7}`).value(String(i));
    const total = 150;
    const writing = (async () => {
      for (let i = 50; i < total; i++) await client.put(`wr/${i % 7}`).value(String(i));
    })();
    const w = await client.watch().prefix('wr/').startRevision(String(start)).create();
    const seen = recordEvents(w);
    await writing;
    await waitFor(`${total} events`, () => seen.length >= total);
    expect(seen.map((e) => e.value)).toEqual(Array.from({ length: total }, (_, i) => String(i)));
    expect(seen.map((e) => e.modRevision)).toEqual(Array.from({ length: total }, (_, i) => start + i));
    await w.cancel();
  });

  test('fifty watchers on one stream each get their own events; cancelling half leaves the rest', async () => {
    const n = 50;
    const watchers = await Promise.all(Array.from({ length: n }, (_, i) => client.watch().key(`wm/${i}`).create()));
    const seen = watchers.map((w) => recordEvents(w));
    await Promise.all(Array.from({ length: n }, (_, i) => client.put(`wm/${i}`).value(`first-${i}`)));
    await waitFor('every watcher saw its key', () => seen.every((x) => x.length >= 1));
    await Promise.all(watchers.filter((_, i) => i % 2 === 0).map((w) => w.cancel()));
    await Promise.all(Array.from({ length: n }, (_, i) => client.put(`wm/${i}`).value(`second-${i}`)));
    await waitFor('odd watchers saw the second put', () => seen.every((x, i) => i % 2 === 0 || x.length >= 2));
    await sleep(100);
    seen.forEach((x, i) => {
      expect(x.map((e) => e.value)).toEqual(i % 2 === 0 ? [`first-${i}`] : [`first-${i}`, `second-${i}`]);
    });
    await Promise.all(watchers.filter((_, i) => i % 2 === 1).map((w) => w.cancel()));
  });

  test('many events in one burst arrive complete and in order', async () => {
    const w = await client.watch().prefix('wb/').create();
    const seen = recordEvents(w);
    const n = 200;
    await Promise.all(Array.from({ length: n }, (_, i) => client.put(`wb/${i % 10}`).value(String(i))));
    await waitFor(`${n} events`, () => seen.length >= n);
    expect(seen.length).toBe(n);
    for (let i = 1; i < n; i++) expect(seen[i]!.modRevision).toBe(seen[i - 1]!.modRevision + 1);
    await w.cancel();
  });
});
