import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, appendFileSync, readdirSync, rmSync, chownSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { randomBytes, randomInt } from 'node:crypto';

/**
 * A host that can vanish from the network without closing its connections: a network namespace
 * joined to this one by a veth pair, and a private PostgreSQL cluster of this machine's
 * binaries listening on this side's veth address. A process started in the namespace talks to the
 * cluster over the pair; deleting the pair (`cut()`) cuts it off the way a power loss or a
 * partition does: no FIN, no RST, the server's packets to it go nowhere. (A drop in a qdisc on
 * loopback does not do that: the kernel counts a packet dropped on its own way out as local
 * congestion and retries, so keepalive probes never fail.)
 *
 * Needs root (network namespaces, runuser) and Debian's PostgreSQL server binaries.
 */
export interface CutOffHost {
  /** The cluster as the host in the namespace reaches it (over the veth pair). */
  remoteUrl: string;
  /** The cluster as this process reaches it (its unix socket: unaffected by the cut). */
  localUrl: string;
  /** Starts `node <args>` inside the namespace. */
  spawnNode(args: string[], env?: Record<string, string>): ChildProcess;
  /** Deletes the veth pair: from now on nothing crosses between the namespace and this side. */
  cut(): void;
  /** Stops the cluster, deletes the namespace and the cluster's files. */
  destroy(): Promise<void>;
}

const run = (command: string, args: string[]): string => execFileSync(command, args, { encoding: 'utf8', stdio: 'pipe' });

function postgresBinaries(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  return versions.map((v) => path.join(root, v, 'bin')).find((bin) => existsSync(path.join(bin, 'initdb')));
}

/** Why a cut-off host cannot be made here, or undefined when it can. */
export function cutOffHostUnavailable(): string | undefined {
  if (userInfo().uid !== 0) return 'needs root (network namespaces)';
  if (!postgresBinaries()) return "needs Debian's PostgreSQL server binaries (/usr/lib/postgresql/<version>/bin)";
  try {
    run('ip', ['netns', 'list']);
  } catch {
    return 'needs iproute2 (`ip netns`)';
  }
  return undefined;
}

export async function createCutOffHost(): Promise<CutOffHost> {
  const bin = postgresBinaries()!;
  const id = randomBytes(3).toString('hex');
  const namespace = `dl-${id}`;
  const [outside, inside] = [`dlo${id}`, `dli${id}`];
  const subnet = `10.${randomInt(200, 250)}.${randomInt(0, 255)}`;
  const [serverIp, hostIp] = [`${subnet}.1`, `${subnet}.2`];
  const port = randomInt(40_000, 60_000);
  const dir = mkdtempSync(path.join(tmpdir(), 'dl-cutoff-'));
  const data = path.join(dir, 'data');
  const pg = (tool: string, args: string[]) => run('runuser', ['-u', 'postgres', '--', path.join(bin, tool), ...args]);
  let cut = false;
  const destroy = async () => {
    try {
      pg('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
    } catch {
      /* not started */
    }
    for (const args of [
      ['link', 'del', outside],
      ['netns', 'del', namespace],
    ]) {
      try {
        run('ip', args);
      } catch {
        /* already gone */
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    run('ip', ['netns', 'add', namespace]);
    run('ip', ['link', 'add', outside, 'type', 'veth', 'peer', 'name', inside]);
    run('ip', ['link', 'set', inside, 'netns', namespace]);
    run('ip', ['addr', 'add', `${serverIp}/30`, 'dev', outside]);
    run('ip', ['link', 'set', outside, 'up']);
    run('ip', ['netns', 'exec', namespace, 'ip', 'addr', 'add', `${hostIp}/30`, 'dev', inside]);
    run('ip', ['netns', 'exec', namespace, 'ip', 'link', 'set', inside, 'up']);
    run('ip', ['netns', 'exec', namespace, 'ip', 'link', 'set', 'lo', 'up']);
    chownSync(dir, Number(run('id', ['-u', 'postgres']).trim()), Number(run('id', ['-g', 'postgres']).trim()));
    pg('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
    appendFileSync(path.join(data, 'pg_hba.conf'), `host all all ${subnet}.0/30 trust\n`);
    pg('pg_ctl', [
      '-D',
      data,
      '-o',
      `-c listen_addresses=${serverIp} -p ${port} -c unix_socket_directories=${dir} -c fsync=off`,
      '-l',
      path.join(dir, 'log'),
      '-w',
      'start',
    ]);
  } catch (error) {
    await destroy();
    throw error;
  }
  return {
    remoteUrl: `postgres://postgres@${serverIp}:${port}/postgres`,
    localUrl: `postgres://postgres@/postgres?host=${encodeURIComponent(dir)}&port=${port}`,
    spawnNode: (args, env = {}) =>
      spawn('ip', ['netns', 'exec', namespace, process.execPath, ...args], {
        env: { PATH: process.env.PATH ?? '', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    cut: () => {
      if (cut) return;
      cut = true;
      run('ip', ['link', 'del', outside]);
    },
    destroy,
  };
}
