/**
 * A fixed-size ring buffer of the last events of a run, printed when a run fails. Items are
 * kept as given and formatted only when shown, so recording costs no string building.
 */
export class TraceRing<T> {
  readonly #items: (T | undefined)[];
  #next = 0;
  #count = 0;
  readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.#items = new Array<T | undefined>(capacity).fill(undefined);
  }

  add(item: T): void {
    if (this.capacity === 0) return;
    this.#items[this.#next] = item;
    this.#next = (this.#next + 1) % this.capacity;
    this.#count++;
  }

  /** Items ever added (including those overwritten). */
  get total(): number {
    return this.#count;
  }

  /** The kept items, oldest first. */
  items(): T[] {
    const kept = Math.min(this.#count, this.capacity);
    const out: T[] = [];
    for (let k = 0; k < kept; k++) {
      out.push(this.#items[(this.#next - kept + k + this.capacity) % this.capacity]!);
    }
    return out;
  }
}
