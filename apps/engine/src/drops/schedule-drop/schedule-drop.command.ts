import { CommandHandler } from '@nestjs/cqrs';
import type { ScheduleDrop } from '@dropline/domain';
import type { CommandContext } from '@dropline/event-sourcing';
import { CommandFields, DropCommandHandler, DropCommandMessage } from '../drop-command';

/** Schedules a new drop; answers with its id. */
export class ScheduleDropCommand extends DropCommandMessage<ScheduleDrop, { dropId: string }> {
  constructor(fields: CommandFields<ScheduleDrop>, context: CommandContext) {
    super('ScheduleDrop', fields, context);
  }
}

@CommandHandler(ScheduleDropCommand)
export class ScheduleDropHandler extends DropCommandHandler<ScheduleDropCommand> {
  protected answer(_state: unknown, message: ScheduleDropCommand): { dropId: string } {
    return { dropId: message.command.dropId };
  }
}
