import { CommandHandler } from '@nestjs/cqrs';
import { OpenEarlyAccess, DropState, toDropView } from '@dropline/domain';
import type { CommandContext } from '@dropline/event-sourcing';
import { CommandFields, DropCommandHandler, DropCommandMessage } from '../drop-command';
import type { DropView } from '../drop-views';

/** Opens early access for repeat customers (the scheduler); answers with the drop view. */
export class OpenEarlyAccessCommand extends DropCommandMessage<OpenEarlyAccess, DropView> {
  constructor(fields: CommandFields<OpenEarlyAccess>, context: CommandContext) {
    super('OpenEarlyAccess', fields, context);
  }
}

@CommandHandler(OpenEarlyAccessCommand)
export class OpenEarlyAccessHandler extends DropCommandHandler<OpenEarlyAccessCommand> {
  protected answer(state: DropState): DropView {
    return toDropView(state);
  }
}
