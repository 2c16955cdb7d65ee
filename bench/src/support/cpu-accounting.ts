import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/*
 * Where a run's CPU went across the machine, per request: the process under test, PostgreSQL (all
 * its processes), the load generator (its own process.cpuUsage(), reported by the worker) and the
 * rest, read from Linux's /proc. A req/s ratio says how far a gate is; this says whether the
 * cores can carry it at all: at the gate's req/s, what the load generator and PostgreSQL already
 * take of the cores leaves the process under test a budget per request, printed beside what it
 * spent.
 */

/** Clock ticks per second of /proc's CPU times (`getconf CLK_TCK`; 100 on every Linux seen). */
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** user + system CPU ticks and the command name from one /proc/<pid>/stat line (the name may hold spaces and parentheses). */
export function parseProcStat(line: string): { comm: string; ticks: number } {
  const open = line.indexOf('(');
  const close = line.lastIndexOf(')');
  const fields = line.slice(close + 2).split(' ');
  // After the name: state(0) ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime(11) stime(12)
  return { comm: line.slice(open + 1, close), ticks: Number(fields[11]) + Number(fields[12]) };
}

/** Busy and total ticks of the whole machine from /proc/stat's first line (idle and iowait are not busy). */
export function parseMachineStat(line: string): { busy: number; total: number } {
  // cpu user nice system idle iowait irq softirq steal [guest guest_nice: already counted in user]
  const v = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: total - v[3] - v[4], total };
}

export interface CpuSnapshot {
  /** CPU ms of each watched process. */
  watched: Record<string, number>;
  /** CPU ms of every process named postgres (server, backends, WAL writer, checkpointer, …). */
  postgres: number;
  machineBusy: number;
  machineTotal: number;
}

const ticksToMs = (ticks: number) => (ticks * 1000) / CLK_TCK;

/** The CPU times now, or undefined where there is no /proc (the report then says so). */
export function cpuSnapshot(watch: Record<string, number>): CpuSnapshot | undefined {
  let machine: { busy: number; total: number };
  try {
    machine = parseMachineStat(readFileSync('/proc/stat', 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
  const watched: Record<string, number> = {};
  let postgres = 0;
  const byPid = new Map(Object.entries(watch).map(([name, pid]) => [pid, name]));
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: { comm: string; ticks: number };
    try {
      stat = parseProcStat(readFileSync(`/proc/${entry}/stat`, 'utf8'));
    } catch {
      continue; // exited meanwhile
    }
    const name = byPid.get(Number(entry));
    if (name) watched[name] = ticksToMs(stat.ticks);
    else if (stat.comm === 'postgres') postgres += ticksToMs(stat.ticks);
  }
  return { watched, postgres, machineBusy: ticksToMs(machine.busy), machineTotal: ticksToMs(machine.total) };
}

export interface CpuPerRequest {
  /** µs of CPU per request of each watched process, of PostgreSQL, of the load generator and of the rest of the machine's busy time. */
  byProcess: Record<string, number>;
  /** µs of idle CPU per request (cores left unused). */
  idle: number;
  /** µs of CPU the machine had per request (cores × wall time / requests). */
  capacity: number;
}

/** CPU µs per request between two snapshots; `loadGeneratorMs` is the load generator's own process.cpuUsage() in ms. */
export function cpuPerRequest(before: CpuSnapshot, after: CpuSnapshot, loadGeneratorMs: number, requests: number): CpuPerRequest {
  const perRequest = (ms: number) => Math.round((ms * 1000) / Math.max(requests, 1));
  const byProcess: Record<string, number> = {};
  let accounted = loadGeneratorMs;
  for (const [name, ms] of Object.entries(after.watched)) {
    const spent = ms - (before.watched[name] ?? ms);
    byProcess[name] = perRequest(spent);
    accounted += spent;
  }
  const postgres = after.postgres - before.postgres;
  accounted += postgres;
  byProcess.PostgreSQL = perRequest(postgres);
  byProcess['load generator'] = perRequest(loadGeneratorMs);
  const busy = after.machineBusy - before.machineBusy;
  byProcess['rest of the machine'] = perRequest(Math.max(busy - accounted, 0));
  const total = after.machineTotal - before.machineTotal;
  return { byProcess, idle: perRequest(total - busy), capacity: perRequest(total) };
}

/**
 * What the cores leave the server under test per request at `targetPerS` requests/s, when everything
 * but the server costs what `others` lists (µs per request): cores × 1 s / target, less the others.
 */
export function serverBudgetUs(cores: number, targetPerS: number, others: readonly number[]): number {
  return Math.round((cores * 1_000_000) / targetPerS - others.reduce((a, b) => a + b, 0));
}
