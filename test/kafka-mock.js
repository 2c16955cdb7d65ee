// The Kafka wire protocol for tests, without a broker: Debian's kcat (librdkafka) starts an
// in-memory mock cluster that speaks the real protocol. Global setup starts one per run and
// exports KAFKA_BROKERS to the test workers; a KAFKA_BROKERS already set (a real cluster)
// wins. With CI=true a missing kcat fails the run instead of skipping the Kafka suites.
// Known limits of the mock (see docs/messaging.md): no controller, so no CreateTopics and
// no idempotent producer (DROPLINE_KAFKA_MOCK=1 tells tests to turn idempotence off);
// topics auto-create with 4 partitions; kcat does not exit on stdin close (ended by pid).
'use strict';
const { spawn, spawnSync } = require('child_process');

function kcatPath() {
  const found = spawnSync('sh', ['-c', 'command -v kcat'], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

/** Starts `kcat` as a mock cluster of `brokers` brokers; resolves with its pid and bootstrap list. */
function startMockCluster(brokers = 3, timeoutMs = 15000) {
  const kcat = kcatPath();
  if (!kcat) return Promise.reject(new Error('kcat is not installed (apt-get install -y kcat)'));
  const child = spawn(kcat, ['-b', 'localhost:1', '-X', `test.mock.num.brokers=${brokers}`, '-q', '-C', '-t', '_probe'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kcat mock cluster did not report its bootstrap servers:\n${text}`));
    }, timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.stderr.on('data', (chunk) => {
      if (text === null) return; // keep draining so kcat never blocks on a full pipe
      text += chunk;
      const match = /(?:replaced with|bootstrap\.servers=)\s*(\S+)/.exec(text);
      if (match) {
        clearTimeout(timer);
        text = null;
        // Neither the child nor its pipe may keep the jest process alive.
        child.unref();
        child.stderr.unref?.();
        resolve({ pid: child.pid, brokers: match[1] });
      }
    });
  });
}

/** Ends a mock cluster by pid (SIGCONT first, in case a test left it stopped). */
function stopMockCluster(pid) {
  for (const signal of ['SIGCONT', 'SIGKILL']) {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

async function setupKafkaMock() {
  if (process.env.KAFKA_BROKERS) return; // a real cluster, or the mock of an earlier project
  if (!kcatPath()) {
    if (process.env.CI === 'true') throw new Error('CI=true but kcat is not installed: the Kafka wire-protocol suites must run in CI');
    return;
  }
  const { pid, brokers } = await startMockCluster(3);
  process.env.KAFKA_BROKERS = brokers;
  process.env.DROPLINE_KAFKA_MOCK = '1';
  process.env.DROPLINE_KAFKA_MOCK_PID = String(pid);
}

async function teardownKafkaMock() {
  const pid = Number(process.env.DROPLINE_KAFKA_MOCK_PID);
  if (pid) stopMockCluster(pid);
  delete process.env.DROPLINE_KAFKA_MOCK_PID;
}

module.exports = { setupKafkaMock, teardownKafkaMock, startMockCluster, stopMockCluster };
