import { isMap, isScalar, isSeq, type LineCounter, type Node, type Pair, type Scalar } from 'yaml';
import { InvalidArgumentError, isNinesError } from '../core/errors.js';
import { parseDurationMs } from '../core/duration.js';

/** A YAML node as the `yaml` package gives it (null for an empty value). */
export type YamlNode = Node | null | undefined;

/**
 * Reads values out of a parsed YAML document with errors that name the file, line, column
 * and field path: `slo.yaml:7:13: objectives[0].target: …`. Every read checks the type.
 */
export class YamlReader {
  readonly file: string;
  readonly #lines: LineCounter;

  constructor(file: string, lines: LineCounter) {
    this.file = file;
    this.#lines = lines;
  }

  /** `file:line:col` of a node (its start), or of `fallbackOffset`. */
  where(node: YamlNode, fallbackOffset = 0): string {
    const offset = node?.range?.[0] ?? fallbackOffset;
    const { line, col } = this.#lines.linePos(offset);
    return `${this.file}:${Math.max(1, line)}:${col}`;
  }

  fail(node: YamlNode, field: string, message: string): never {
    throw new InvalidArgumentError(`${this.where(node)}: ${field}: ${message}`);
  }

  /**
   * The entries of a mapping, keyed by name. An unknown key fails naming its line and the
   * keys allowed; `unsupported` keys fail with their own reason.
   */
  map(
    node: YamlNode,
    field: string,
    allowed: readonly string[],
    unsupported: Readonly<Record<string, string>> = {},
  ): Map<string, { key: Scalar; value: YamlNode }> {
    if (!isMap(node)) this.fail(node, field, 'expected a mapping (key: value lines)');
    const out = new Map<string, { key: Scalar; value: YamlNode }>();
    for (const pair of node.items as Pair<unknown, unknown>[]) {
      const key = pair.key;
      if (!isScalar(key) || typeof key.value !== 'string') this.fail(node, field, 'keys must be plain strings');
      const name = key.value;
      const sub = field === '' ? name : `${field}.${name}`;
      const reason = unsupported[name];
      if (reason !== undefined) this.fail(key, sub, reason);
      if (!allowed.includes(name)) {
        this.fail(key, sub, `unknown field "${name}" (allowed here: ${allowed.join(', ')})`);
      }
      out.set(name, { key, value: pair.value as YamlNode });
    }
    return out;
  }

  list(node: YamlNode, field: string, max: number): Node[] {
    if (!isSeq(node)) this.fail(node, field, 'expected a list (lines starting with "- ")');
    const items = node.items as YamlNode[];
    if (items.length > max) this.fail(node, field, `at most ${max} entries, got ${items.length}`);
    return items.map((item, i) => (item ? item : this.fail(node, `${field}[${i}]`, 'empty entry')));
  }

  string(node: YamlNode, field: string): string {
    if (!isScalar(node) || typeof node.value !== 'string') this.fail(node, field, 'expected a string');
    return node.value;
  }

  /** A string, or a scalar number/boolean rendered as a string. */
  text(node: YamlNode, field: string): string {
    if (!isScalar(node) || node.value === null || typeof node.value === 'object') this.fail(node, field, 'expected a value');
    return String(node.value);
  }

  number(node: YamlNode, field: string): number {
    if (!isScalar(node) || typeof node.value !== 'number' || !Number.isFinite(node.value)) {
      this.fail(node, field, 'expected a number');
    }
    return node.value;
  }

  boolean(node: YamlNode, field: string): boolean {
    if (!isScalar(node) || typeof node.value !== 'boolean') this.fail(node, field, 'expected true or false');
    return node.value;
  }

  /** A duration: `30d`, `100ms`, `1h30m`; a bare number is milliseconds. */
  duration(node: YamlNode, field: string): number {
    if (isScalar(node) && typeof node.value === 'number' && Number.isFinite(node.value) && node.value >= 0) {
      return node.value;
    }
    const text = this.string(node, field);
    try {
      return parseDurationMs(text);
    } catch (err) {
      if (isNinesError(err)) this.fail(node, field, err.message);
      throw err;
    }
  }
}
