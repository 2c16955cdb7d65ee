import { cpuPerRequest, cpuSnapshot, parseMachineStat, parseProcStat, serverBudgetUs } from '../bench/src/support/cpu-accounting';

/** Unit: the CPU accounting hot-drop-http prints (bench/src/support/cpu-accounting.ts). */
describe('bench CPU accounting', () => {
  it('reads user + system ticks from a /proc/<pid>/stat line whose name holds spaces and parentheses', () => {
    const line = '4242 (node (worker) 1) S 1 4242 4242 0 -1 4194304 100 0 0 0 1234 567 0 0 20 0 11 0 500 0 0';
    expect(parseProcStat(line)).toEqual({ comm: 'node (worker) 1', ticks: 1234 + 567 });
  });

  it("counts idle and iowait as not busy in /proc/stat's first line", () => {
    expect(parseMachineStat('cpu  100 10 50 800 40 5 5 0 0 0')).toEqual({ busy: 170, total: 1010 });
  });

  it('divides each share by the requests and gives the rest of the busy time to the rest of the machine', () => {
    const before = { watched: { engine: 1_000 }, postgres: 500, machineBusy: 10_000, machineTotal: 20_000 };
    const after = { watched: { engine: 5_000 }, postgres: 1_500, machineBusy: 16_000, machineTotal: 28_000 };
    // 10,000 requests: engine 4,000 ms, PostgreSQL 1,000 ms, load generator 500 ms, rest 6,000 − 5,500 ms.
    expect(cpuPerRequest(before, after, 500, 10_000)).toEqual({
      byProcess: { engine: 400, PostgreSQL: 100, 'load generator': 50, 'rest of the machine': 50 },
      idle: 200,
      capacity: 800,
    });
  });

  it("leaves the server the cores' time per request less the others' share", () => {
    // 2 cores at 8,000 req/s: 250 µs per request; PostgreSQL 120 and the load generator 60 leave 70.
    expect(serverBudgetUs(2, 8_000, [120, 60])).toBe(70);
    expect(serverBudgetUs(2, 8_000, [])).toBe(250);
  });

  it('finds this process and the machine in /proc', () => {
    const snapshot = cpuSnapshot({ self: process.pid });
    if (process.platform !== 'linux') return expect(snapshot).toBeUndefined();
    expect(snapshot!.watched.self).toBeGreaterThanOrEqual(0);
    expect(snapshot!.machineTotal).toBeGreaterThan(snapshot!.machineBusy);
  });
});
