#!/usr/bin/env node
// Runs `npm run build` only when dist/ is not a build of the sources as they are now, so
// `npm run dropline` and `npm start` do not spend seconds rebuilding an unchanged tree.
//
// A fingerprint of what the build reads (the path and content of every file under apps/, libs/
// and bench/ but the tests the build skips, plus .swcrc and package.json) is taken before the
// build and written to dist/.build-stamp after it succeeds. `npm run build` empties dist/ first,
// so a failed or interrupted build, or one run by hand, leaves no stamp and the next call builds.
//
// Calls at once (two `npm run dropline` after a `git pull`, a replay while `npm start` starts)
// take turns on a lock (a directory, created atomically, holding its owner's pid): the first
// builds, the others wait for it and then find the stamp fresh. Without it, one call's
// `rm -rf dist` emptied the tree another had just built and stamped, and dist/ stayed broken.
// A lock whose owner is no longer running (a build killed with -9) is taken over.
//
//   node tools/build-if-stale.js    builds if needed (says so on stderr; stdout stays the CLI's)
'use strict';
const { spawnSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const STAMP = path.join(ROOT, 'dist', '.build-stamp');
const LOCK = path.join(ROOT, 'node_modules', '.cache', 'dropline-build.lock');
/** How long a call waits for another's build before it gives up. */
const LOCK_WAIT_MS = 300_000;
const INPUTS = ['apps', 'libs', 'bench', '.swcrc', 'package.json'];
/** The build's --ignore list (package.json): changing a test needs no rebuild. */
const NOT_BUILT = /\.(spec|int-spec|e2e-spec|chaos-spec)\.ts$/;

function fingerprint() {
  const hash = createHash('sha256');
  const visit = (file) => {
    const rel = path.relative(ROOT, file);
    let stat;
    try {
      stat = statSync(file);
    } catch {
      hash.update(`${rel}\0missing\n`);
      return;
    }
    if (stat.isDirectory()) {
      for (const name of readdirSync(file).sort()) if (name !== 'node_modules') visit(path.join(file, name));
    } else if (!NOT_BUILT.test(file)) {
      hash.update(`${rel}\0${stat.size}\0`).update(readFileSync(file)).update('\n');
    }
  };
  for (const input of INPUTS) visit(path.join(ROOT, input));
  return hash.digest('hex');
}

function builtFrom() {
  try {
    return readFileSync(STAMP, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function running(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

const PID_FILE = path.join(LOCK, 'pid');
/** Held for an instant by the one waiter that removes a stale lock. */
const TAKEOVER = `${LOCK}.takeover`;
/** A lock without its pid (its creator died right after creating it), or a takeover, this old is stale. */
const ORPHAN_MS = 10_000;

function ownerOf() {
  try {
    return Number(readFileSync(PID_FILE, 'utf8')) || undefined;
  } catch {
    return undefined;
  }
}

function olderThan(dir, ms) {
  try {
    return Date.now() - statSync(dir).mtimeMs > ms;
  } catch {
    return false;
  }
}

/**
 * Whether the lock's owner is gone: not running, or this very pid (which holds no lock yet: a
 * pid reused after a kill -9 or a reboot, pid 1 in a container), or never written long ago.
 */
function stale(owner) {
  if (owner === undefined) return olderThan(LOCK, ORPHAN_MS);
  return owner === process.pid || !running(owner);
}

/**
 * Removes a stale lock. Only the waiter holding the takeover lock does, after looking at the
 * owner again there: two waiters cannot both remove it, nor one remove a lock another has just
 * taken in its place.
 */
function takeOver() {
  try {
    mkdirSync(TAKEOVER);
  } catch (e) {
    if (e.code !== 'EEXIST') throw e;
    if (olderThan(TAKEOVER, ORPHAN_MS)) rmSync(TAKEOVER, { recursive: true, force: true });
    return;
  }
  try {
    if (stale(ownerOf())) rmSync(LOCK, { recursive: true, force: true });
  } finally {
    rmSync(TAKEOVER, { recursive: true, force: true });
  }
}

/** Takes the build lock, waiting for another call's build; returns its release. */
function lock() {
  mkdirSync(path.dirname(LOCK), { recursive: true });
  let said = false;
  for (const deadline = Date.now() + LOCK_WAIT_MS; ;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(PID_FILE, String(process.pid));
      // Released only while it is still this process's (a waiter may have judged it stale meanwhile).
      return () => ownerOf() === process.pid && rmSync(LOCK, { recursive: true, force: true });
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
    }
    const owner = ownerOf();
    if (stale(owner)) {
      takeOver();
      continue;
    }
    if (Date.now() > deadline) {
      process.stderr.write(`another build of dist/ (pid ${owner}) has held ${LOCK} for ${LOCK_WAIT_MS / 1000} s: giving up\n`);
      process.exit(1);
    }
    if (!said) process.stderr.write(`waiting for another build of dist/ (pid ${owner ?? '?'})…\n`);
    said = true;
    sleep(100);
  }
}

const wanted = fingerprint();
if (builtFrom() === wanted) process.exit(0);
const release = lock();
process.on('exit', release);
// A signal ends the process through 'exit' (the lock released): the build it waits for got the
// same signal from the terminal, or is left to finish, and the handler runs once it returns.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'])
  process.on(signal, () => process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1)));
// Built meanwhile by the call that held the lock.
if (builtFrom() === wanted) process.exit(0);

process.stderr.write('building dist/ (the sources changed since the last build)…\n');
// npm_execpath is npm itself when run by an npm script; `npm` on the PATH otherwise.
const npm = process.env.npm_execpath;
const result = npm
  ? spawnSync(process.execPath, [npm, 'run', '-s', 'build'], { cwd: ROOT, stdio: ['ignore', 2, 2] })
  : spawnSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: ['ignore', 2, 2], shell: process.platform === 'win32' });
if (result.error) throw result.error;
if (result.status !== 0) process.exit(result.status ?? 1);
mkdirSync(path.dirname(STAMP), { recursive: true });
writeFileSync(STAMP, `${wanted}\n`);
