import { CommandHandler } from '@nestjs/cqrs';
import type { ReviseDrop } from '@dropline/domain';
import type { CommandContext } from '@dropline/event-sourcing';
import { CommandFields, DropCommandHandler, DropCommandMessage } from '../drop-command';

/** Revises a drop's definition before it opens; answers with its id. */
export class ReviseDropCommand extends DropCommandMessage<ReviseDrop, { dropId: string }> {
  constructor(fields: CommandFields<ReviseDrop>, context: CommandContext) {
    super('ReviseDrop', fields, context);
  }
}

@CommandHandler(ReviseDropCommand)
export class ReviseDropHandler extends DropCommandHandler<ReviseDropCommand> {
  protected answer(_state: unknown, message: ReviseDropCommand): { dropId: string } {
    return { dropId: message.command.dropId };
  }
}
