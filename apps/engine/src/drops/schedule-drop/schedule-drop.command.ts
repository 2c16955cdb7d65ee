import { CommandHandler } from '@nestjs/cqrs';
import type { DropDefinition } from '@dropline/domain';
import type { CommandContext } from '@dropline/event-sourcing';
import { DropCommandHandler, DropCommandMessage } from '../drop-command';
import { DropWriter } from '../drop-writer';

export class ScheduleDropCommand extends DropCommandMessage<{ dropId: string }> {
  constructor(dropId: string, definition: DropDefinition, context: CommandContext, revise = false) {
    super({ type: revise ? 'ReviseDrop' : 'ScheduleDrop', dropId, definition, now: context.occurredAt }, context);
  }
  answer(): { dropId: string } {
    return { dropId: this.command.dropId };
  }
}

@CommandHandler(ScheduleDropCommand)
export class ScheduleDropHandler extends DropCommandHandler<ScheduleDropCommand> {
  constructor(drops: DropWriter) {
    super(drops);
  }
}
