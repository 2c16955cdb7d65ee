import type { ICommand } from '@nestjs/cqrs';
import type { DropCommand, DropEvent, DropState } from '@dropline/domain';
import type { CommandContext } from '@dropline/event-sourcing';
import type { DropWriter } from './drop-writer';

/**
 * A drop command as it travels on the CommandBus: the domain command, its envelope
 * context, and how to read the caller's answer off the state right after its events.
 */
export abstract class DropCommandMessage<R> implements ICommand {
  constructor(
    readonly command: DropCommand,
    readonly context: CommandContext,
  ) {}
  abstract answer(state: DropState, events: DropEvent[]): R;
}

/** Every drop command handler is this: hand the command to the one batching writer. */
export abstract class DropCommandHandler<M extends DropCommandMessage<unknown>> {
  constructor(private readonly drops: DropWriter) {}
  async execute(message: M): Promise<ReturnType<M['answer']>> {
    const outcome = await this.drops.execute(message.command, message.context, (state, events) => message.answer(state, events));
    return outcome.answer as ReturnType<M['answer']>;
  }
}
