import { execFileSync } from 'node:child_process';
import { readFileSync, realpathSync, statfsSync } from 'node:fs';
import { arch, availableParallelism, cpus, loadavg, release, totalmem, type } from 'node:os';
import { basename, dirname, join } from 'node:path';

/** What the benchmark ran on, read from /proc, /sys and `os` (best effort: unknowns say so). */
export interface MachineDescription {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryBytes: number;
  readonly kernel: string;
  readonly arch: string;
  /** The file system holding the temp data dirs: device, type, size, rotational or not. */
  readonly disk: string;
  readonly node: string;
  readonly etcd: string | null;
  /** 1-minute load average at the start (a hint of how busy the shared machine was). */
  readonly loadAverage1m: number;
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function cpuModel(): string {
  const info = readText('/proc/cpuinfo');
  const line = info?.split('\n').find((l) => l.startsWith('model name'));
  const fromProc = line?.split(':')[1]?.trim();
  return fromProc || cpus()[0]?.model || 'unknown CPU';
}

/** The mount (device, type) holding `dir`: the longest mount point that prefixes it. */
export function mountOf(mountsText: string, dir: string): { device: string; mountPoint: string; fsType: string } | null {
  let best: { device: string; mountPoint: string; fsType: string } | null = null;
  for (const line of mountsText.split('\n')) {
    const [device, mountPoint, fsType] = line.split(' ');
    if (device === undefined || mountPoint === undefined || fsType === undefined) continue;
    const prefix = mountPoint.endsWith('/') ? mountPoint : `${mountPoint}/`;
    if (dir !== mountPoint && !dir.startsWith(prefix)) continue;
    if (best === null || mountPoint.length >= best.mountPoint.length) best = { device, mountPoint, fsType };
  }
  return best;
}

/** The /sys directory of a block device (a partition's parent disk), or null. */
function blockDeviceSysDir(name: string): string | null {
  try {
    const dir = realpathSync(`/sys/class/block/${name}`);
    for (const candidate of [dir, dirname(dir)]) if (readText(join(candidate, 'queue/rotational')) !== null) return candidate;
  } catch {
    // not a block device (overlay, tmpfs…)
  }
  return null;
}

function diskOf(dir: string): string {
  let real = dir;
  try {
    real = realpathSync(dir);
  } catch {
    // keep the given path
  }
  const mount = mountOf(readText('/proc/mounts') ?? '', real);
  const parts: string[] = [];
  if (mount !== null) {
    parts.push(`${mount.device} (${mount.fsType}) at ${mount.mountPoint}`);
    const sys = blockDeviceSysDir(basename(mount.device));
    if (sys !== null) {
      const rotational = readText(join(sys, 'queue/rotational'))?.trim();
      if (rotational === '0') parts.push('non-rotational');
      if (rotational === '1') parts.push('rotational');
      const model = readText(join(sys, 'device/model'))?.trim();
      if (model) parts.push(model);
    }
  } else {
    parts.push('unknown device');
  }
  try {
    const fs = statfsSync(real);
    parts.push(`${gib(fs.blocks * fs.bsize)} GiB, ${gib(fs.bavail * fs.bsize)} GiB free`);
  } catch {
    // size unknown
  }
  return parts.join(', ');
}

function gib(bytes: number): string {
  return (bytes / 1024 ** 3).toFixed(1);
}

/** `etcd --version`'s version line, or null when the binary is missing. */
export function etcdVersion(etcdBin: string): string | null {
  try {
    const out = execFileSync(etcdBin, ['--version'], { encoding: 'utf8', timeout: 5_000, stdio: ['ignore', 'pipe', 'ignore'] });
    const m = /etcd Version:\s*(\S+)/.exec(out);
    return m?.[1] ?? out.split('\n')[0]?.trim() ?? 'unknown';
  } catch {
    return null;
  }
}

export function describeMachine(dataDir: string, etcdBin: string): MachineDescription {
  return {
    cpuModel: cpuModel(),
    cores: availableParallelism(),
    memoryBytes: totalmem(),
    kernel: `${type()} ${release()}`,
    arch: arch(),
    disk: diskOf(dataDir),
    node: process.version,
    etcd: etcdVersion(etcdBin),
    loadAverage1m: loadavg()[0] ?? 0,
  };
}

/** One line for the table header. */
export function machineLine(m: MachineDescription): string {
  return (
    `${m.cpuModel}, ${m.cores} cores, ${gib(m.memoryBytes)} GiB RAM, ${m.kernel} ${m.arch}; ` +
    `disk ${m.disk}; node ${m.node}, etcd ${m.etcd ?? 'not installed'}; load avg ${m.loadAverage1m.toFixed(2)}`
  );
}
