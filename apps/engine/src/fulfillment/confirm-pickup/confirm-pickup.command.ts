import { CommandHandler } from '@nestjs/cqrs';
import type { ConfirmPickup } from '@dropline/domain';
import type { CommandContext } from '@dropline/event-sourcing';
import { CommandFields, DropCommandMessage, PreOrderCommandHandler } from '../../drops/drop-command';
import type { PreOrderView } from '../../drops/drop-views';

/** The customer collected a pre-order; answers with its view. */
export class ConfirmPickupCommand extends DropCommandMessage<ConfirmPickup, PreOrderView> {
  constructor(fields: CommandFields<ConfirmPickup>, context: CommandContext) {
    super('ConfirmPickup', fields, context);
  }
}

@CommandHandler(ConfirmPickupCommand)
export class ConfirmPickupHandler extends PreOrderCommandHandler<ConfirmPickupCommand> {}
