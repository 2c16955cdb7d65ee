import { CommandHandler } from '@nestjs/cqrs';
import type { ConfirmDelivery } from '@dropline/domain';
import type { CommandContext } from '@dropline/event-sourcing';
import { CommandFields, DropCommandMessage, PreOrderCommandHandler } from '../../drops/drop-command';
import type { PreOrderView } from '../../drops/drop-views';

/** The carrier delivered a pre-order; answers with its view. */
export class ConfirmDeliveryCommand extends DropCommandMessage<ConfirmDelivery, PreOrderView> {
  constructor(fields: CommandFields<ConfirmDelivery>, context: CommandContext) {
    super('ConfirmDelivery', fields, context);
  }
}

@CommandHandler(ConfirmDeliveryCommand)
export class ConfirmDeliveryHandler extends PreOrderCommandHandler<ConfirmDeliveryCommand> {}
