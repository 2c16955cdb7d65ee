import { CommandHandler } from '@nestjs/cqrs';
import { AnnounceDrop, DropState, toDropView } from '@dropline/domain';
import type { CommandContext } from '@dropline/event-sourcing';
import { CommandFields, DropCommandHandler, DropCommandMessage } from '../drop-command';
import type { DropView } from '../drop-views';

/** Makes a scheduled drop public on the storefront before it opens (ops); answers with the drop view. */
export class AnnounceDropCommand extends DropCommandMessage<AnnounceDrop, DropView> {
  constructor(fields: CommandFields<AnnounceDrop>, context: CommandContext) {
    super('AnnounceDrop', fields, context);
  }
}

@CommandHandler(AnnounceDropCommand)
export class AnnounceDropHandler extends DropCommandHandler<AnnounceDropCommand> {
  protected answer(state: DropState): DropView {
    return toDropView(state);
  }
}
