import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU accounting from /proc (Linux): who burnt the CPU during a measured window — the bench
 * process itself (HTTP or pg client), the API child process, the PostgreSQL backends of the bench
 * database, the server's auxiliary processes (WAL writer, checkpointer, ...), and backends of
 * other databases (other people's tests on the same server: noise). Unavailable elsewhere → null.
 */

const CLOCK_TICKS = 100; // USER_HZ; `getconf CLK_TCK` is 100 on every mainstream Linux build

interface ProcStat {
  ppid: number;
  ticks: number;
}

type PgKind = 'bench' | 'aux' | 'other';

export interface CpuSnapshot {
  at: bigint;
  self: NodeJS.CpuUsage;
  apiTicks: number | null;
  /** Of apiTicks: the API's PDF render processes (pdf-render.process). */
  renderTicks: number | null;
  pg: Map<number, { kind: PgKind; ticks: number }> | null;
  machine: { busy: number; total: number; steal: number } | null;
}

export interface CpuBreakdown {
  /** Wall-clock seconds between the two snapshots. */
  seconds: number;
  /** CPU seconds. */
  benchProcess: number;
  api: number | null;
  /** Of api: its PDF render processes. */
  apiRenders: number | null;
  pgBench: number | null;
  pgAux: number | null;
  pgOther: number | null;
  /** Busy share of all cores, 0..100, and the same as CPU seconds (all processes, kernel included). */
  machineBusyPercent: number | null;
  machineBusySeconds: number | null;
  /** Share of all cores the hypervisor gave to other guests (steal), 0..100: noise from outside this machine. */
  stealPercent: number | null;
  /** Machine CPU seconds not attributed to the groups above: other people's work (noise), kernel softirq, ... */
  unattributed: number | null;
}

function readStat(pid: number): ProcStat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // fields[0] = state (field 3 of proc(5)); ppid = field 4, utime = 14, stime = 15.
    return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return null;
  }
}

function readCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

function machineTicks(): { busy: number; total: number; steal: number } | null {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = cpu[3] + (cpu[4] ?? 0);
    return { busy: total - idle, total, steal: cpu[7] ?? 0 };
  } catch {
    return null;
  }
}

export class CpuMeter {
  constructor(
    private readonly apiPid: number | null,
    /** The postmaster: every backend is its child. */
    private readonly postmasterPid: number | null,
    private readonly database: string,
  ) {}

  /** The postmaster's pid from one of its backends' pid (SELECT pg_backend_pid()), if /proc shows it. */
  static postmasterOf(backendPid: number): number | null {
    return readStat(backendPid)?.ppid ?? null;
  }

  private postgres(): Map<number, { kind: PgKind; ticks: number }> | null {
    if (this.postmasterPid === null) return null;
    const result = new Map<number, { kind: PgKind; ticks: number }>();
    let entries: string[];
    try {
      entries = readdirSync('/proc');
    } catch {
      return null;
    }
    for (const name of entries) {
      if (!/^\d+$/.test(name)) continue;
      const pid = Number(name);
      const stat = readStat(pid);
      if (!stat || (stat.ppid !== this.postmasterPid && pid !== this.postmasterPid)) continue;
      const cmd = readCmdline(pid);
      const kind: PgKind = cmd.includes(` ${this.database} `)
        ? 'bench'
        : /checkpointer|background writer|walwriter|autovacuum|logical replication|archiver|stats|\/bin\/postgres/.test(cmd)
          ? 'aux'
          : 'other';
      result.set(pid, { kind, ticks: stat.ticks });
    }
    return result;
  }

  /**
   * The API process and all its descendants: with API_PROCESSES > 1 the work is done in node:cluster workers, and
   * each API process renders PDFs in a child of its own; of those, the render processes apart.
   */
  private apiTicks(): { all: number; renders: number } | null {
    if (this.apiPid === null) return null;
    const own = readStat(this.apiPid);
    if (!own) return null;
    const result = { all: own.ticks, renders: 0 };
    let entries: string[] = [];
    try {
      entries = readdirSync('/proc');
    } catch {
      return result;
    }
    const children = new Map<number, Array<{ pid: number; ticks: number }>>();
    for (const name of entries) {
      if (!/^\d+$/.test(name)) continue;
      const stat = readStat(Number(name));
      if (stat) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), { pid: Number(name), ticks: stat.ticks }]);
    }
    const queue = [this.apiPid];
    for (let parent = queue.shift(); parent !== undefined; parent = queue.shift()) {
      for (const child of children.get(parent) ?? []) {
        result.all += child.ticks;
        if (readCmdline(child.pid).includes('pdf-render.process')) result.renders += child.ticks;
        queue.push(child.pid);
      }
    }
    return result;
  }

  snapshot(): CpuSnapshot {
    const at = process.hrtime.bigint();
    const self = process.cpuUsage();
    const api = this.apiTicks();
    return {
      at,
      self,
      apiTicks: api?.all ?? null,
      renderTicks: api?.renders ?? null,
      pg: this.postgres(),
      machine: machineTicks(),
    };
  }

  static diff(a: CpuSnapshot, b: CpuSnapshot): CpuBreakdown {
    const sums: Record<PgKind, number> = { bench: 0, aux: 0, other: 0 };
    if (a.pg && b.pg) {
      for (const [pid, end] of b.pg) {
        // A backend that started inside the window counts in full; one that ended is lost (rare: pools persist).
        const start = a.pg.get(pid)?.ticks ?? 0;
        sums[end.kind] += Math.max(0, end.ticks - start);
      }
    }
    const pg = a.pg && b.pg;
    const machineBusySeconds = a.machine && b.machine ? (b.machine.busy - a.machine.busy) / CLOCK_TICKS : null;
    const benchProcess = (b.self.user - a.self.user + b.self.system - a.self.system) / 1e6;
    const api = a.apiTicks !== null && b.apiTicks !== null ? (b.apiTicks - a.apiTicks) / CLOCK_TICKS : null;
    const apiRenders = a.renderTicks !== null && b.renderTicks !== null ? (b.renderTicks - a.renderTicks) / CLOCK_TICKS : null;
    return {
      seconds: Number(b.at - a.at) / 1e9,
      benchProcess,
      api,
      apiRenders,
      pgBench: pg ? sums.bench / CLOCK_TICKS : null,
      pgAux: pg ? sums.aux / CLOCK_TICKS : null,
      pgOther: pg ? sums.other / CLOCK_TICKS : null,
      machineBusyPercent: a.machine && b.machine && b.machine.total > a.machine.total ? (100 * (b.machine.busy - a.machine.busy)) / (b.machine.total - a.machine.total) : null,
      machineBusySeconds,
      stealPercent: a.machine && b.machine && b.machine.total > a.machine.total ? (100 * (b.machine.steal - a.machine.steal)) / (b.machine.total - a.machine.total) : null,
      unattributed:
        machineBusySeconds === null || !a.machine || !b.machine
          ? null
          : machineBusySeconds - (b.machine.steal - a.machine.steal) / CLOCK_TICKS - benchProcess - (api ?? 0) - (pg ? (sums.bench + sums.aux + sums.other) / CLOCK_TICKS : 0),
    };
  }
}
