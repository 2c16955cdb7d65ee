import type { Consumer, Kafka } from 'kafkajs';
import { backoffDelay, silentLogger, type SupervisedTask, type TaskContext, type WorkerLogger } from '@dropline/runtime';
import type { EffectivelyOnceConsumer } from '../consumer/effectively-once-consumer';

export interface KafkaConsumerRunnerOptions {
  topic: string;
  /** Defaults to the handler's name (the engine and the consumer services put KAFKA_GROUP_PREFIX before it). */
  groupId?: string;
  backoff?: { initialMs: number; maxMs: number };
  logger?: WorkerLogger;
  /** Longest stop() waits for the consumer to leave its group (default 3000 ms). */
  stopTimeoutMs?: number;
  /** Observer for tests and metrics. */
  onOutcome?: (outcome: string, partition: number, offset: string) => void;
}

/**
 * Runs an EffectivelyOnceConsumer as a Kafka consumer group member. Partitions are handled
 * one message at a time in offset order (one drop's events share a partition). A transient
 * failure pauses only that partition, seeks back to the failed message and resumes after a
 * backoff; offsets are committed only up to what was handled.
 *
 * Supervised as a task (`task()`): joining the group is retried by the supervisor with jittered
 * backoff while the broker is down, and a consumer that crashes (kafkajs gives up: it is told not
 * to restart itself) is started again by the supervisor, which counts and reports the restart.
 */
export class KafkaConsumerRunner {
  private consumer: Consumer;
  /** connect → subscribe → run (the first join) of the current consumer, until it settles. */
  private starting: Promise<void> | undefined;
  /** Cleared by stop(): the batches of the consumer started with it hand nothing more to the handler. */
  private running = { live: false };
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly failures = new Map<number, number>();
  private readonly options: Required<Omit<KafkaConsumerRunnerOptions, 'onOutcome'>> & Pick<KafkaConsumerRunnerOptions, 'onOutcome'>;

  constructor(
    private readonly kafka: Kafka,
    private readonly runtime: EffectivelyOnceConsumer,
    options: KafkaConsumerRunnerOptions,
  ) {
    this.options = {
      groupId: runtime.handler.name,
      backoff: { initialMs: 200, maxMs: 10_000 },
      logger: silentLogger,
      stopTimeoutMs: 3_000,
      ...options,
    };
    this.consumer = this.newConsumer();
  }

  private newConsumer(): Consumer {
    return this.kafka.consumer({
      groupId: this.options.groupId,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      maxWaitTimeInMs: 1_000,
      // A crash ends the consumer: the supervisor restarts it, so the restart is visible.
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: 10_000, restartOnFailure: async () => false },
    });
  }

  /**
   * The consumer as supervised work: joins the group, runs until stopped, fails when the consumer
   * crashes. Named by its handler (`kafka-consumer:fulfillment`), whatever its group id.
   */
  task(name = `kafka-consumer:${this.runtime.handler.name}`): SupervisedTask {
    return { name, run: (context) => this.runSupervised(context) };
  }

  private async runSupervised(context: TaskContext): Promise<void> {
    this.consumer = this.newConsumer();
    const crashed = new Promise<never>((_, reject) => {
      this.consumer.on(this.consumer.events.CRASH, (event) => reject(event.payload.error));
    });
    crashed.catch(() => undefined);
    const stopped = new Promise<void>((resolve) => {
      if (context.signal.aborted) resolve();
      context.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    try {
      // Joining the group retries while the broker is down or the group rebalances: a stop must
      // not wait for it to succeed (a graceful shutdown would hit its deadline).
      const starting = this.start();
      await Promise.race([starting, crashed, stopped]);
      if (context.signal.aborted) return;
      context.up();
      await Promise.race([stopped, crashed]);
    } finally {
      await this.stop();
    }
  }

  start(): Promise<void> {
    this.running = { live: true };
    const starting = this.join(this.running);
    this.starting = starting;
    starting.then(
      () => this.starting === starting && (this.starting = undefined),
      () => this.starting === starting && (this.starting = undefined),
    );
    return starting;
  }

  private async join(running: { live: boolean }): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [this.options.topic], fromBeginning: true });
    await this.consumer.run({
      autoCommit: true,
      autoCommitInterval: 1_000,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, pause, isRunning, isStale, commitOffsetsIfNecessary }) => {
        for (const message of batch.messages) {
          if (!running.live || !isRunning() || isStale()) break;
          try {
            const outcome = await this.runtime.handle({
              key: message.key,
              value: message.value,
              headers: message.headers ?? {},
              topic: batch.topic,
              partition: batch.partition,
              offset: message.offset,
            });
            this.failures.delete(batch.partition);
            this.options.onOutcome?.(outcome, batch.partition, message.offset);
          } catch (e) {
            this.retryLater(batch.topic, batch.partition, message.offset, pause, e);
            break;
          }
          resolveOffset(message.offset);
          await heartbeat();
        }
        await commitOffsetsIfNecessary();
      },
    });
  }

  private retryLater(topic: string, partition: number, offset: string, pause: () => () => void, error: unknown): void {
    const attempt = (this.failures.get(partition) ?? 0) + 1;
    this.failures.set(partition, attempt);
    const delay = backoffDelay(attempt, this.options.backoff.initialMs, this.options.backoff.maxMs);
    this.options.logger.warn(
      `${this.runtime.handler.name}: partition ${partition} paused at offset ${offset} (attempt ${attempt}), retrying in ${delay} ms: ${(error as Error).message}`,
    );
    const resume = pause();
    // Fetching continues from the failed message, not after it.
    this.consumer.seek({ topic, partition, offset });
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      resume();
    }, delay);
    this.timers.add(timer);
  }

  /**
   * Leaves the group and closes the connections, waiting at most `stopTimeoutMs` in all: a consumer
   * that crashed, is rejoining, or talks to a hung broker may never finish leaving. It is then
   * abandoned: it hands nothing more to the handler, and is disconnected once its join settles
   * (it leaves the group then). A disconnect under kafkajs' own connect or join does not stop the
   * join, which went on to fetch and apply in a consumer nobody stopped, and failed its requests
   * and logged them as errors; so a stop during the first join lets the join settle first.
   */
  async stop(): Promise<void> {
    this.running.live = false;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const consumer = this.consumer;
    const starting = this.starting;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), this.options.stopTimeoutMs);
      timer.unref();
    });
    const settled = (work: Promise<unknown>) =>
      work.then(
        () => true,
        () => true,
      );
    let left = starting ? await Promise.race([settled(starting), deadline]) : true;
    if (left) left = await Promise.race([settled(consumer.disconnect()), deadline]);
    // Disconnected once its join settles: under the join, kafkajs finishes joining anyway and
    // then cannot leave the group cleanly (the group waits out the session timeout).
    else if (starting) void settled(starting).then(() => settled(consumer.disconnect()));
    else void settled(consumer.disconnect());
    clearTimeout(timer);
    if (!left)
      this.options.logger.warn(
        `${this.runtime.handler.name}: did not leave the consumer group within ${this.options.stopTimeoutMs} ms; abandoned (the group rebalances after its session timeout)`,
      );
  }
}
