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

/** Takes the build lock, waiting for another call's build; returns its release. */
function lock() {
  mkdirSync(path.dirname(LOCK), { recursive: true });
  let said = false;
  for (const deadline = Date.now() + LOCK_WAIT_MS; ;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(path.join(LOCK, 'pid'), String(process.pid));
      return () => rmSync(LOCK, { recursive: true, force: true });
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
    }
    let owner;
    try {
      owner = Number(readFileSync(path.join(LOCK, 'pid'), 'utf8'));
    } catch {
      owner = undefined; // created, its pid not written yet
    }
    if (owner && !running(owner)) {
      rmSync(LOCK, { recursive: true, force: true });
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
