import { CommandHandler } from '@nestjs/cqrs';
import type { MarkReadyForPickup } from '@dropline/domain';
import type { CommandContext } from '@dropline/event-sourcing';
import { CommandFields, DropCommandMessage, PreOrderCommandHandler } from '../../drops/drop-command';
import type { PreOrderView } from '../../drops/drop-views';

/** A covered pickup pre-order waits at its location; answers with its view. */
export class MarkReadyForPickupCommand extends DropCommandMessage<MarkReadyForPickup, PreOrderView> {
  constructor(fields: CommandFields<MarkReadyForPickup>, context: CommandContext) {
    super('MarkReadyForPickup', fields, context);
  }
}

@CommandHandler(MarkReadyForPickupCommand)
export class MarkReadyForPickupHandler extends PreOrderCommandHandler<MarkReadyForPickupCommand> {}
