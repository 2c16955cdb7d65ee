import { CommandHandler } from '@nestjs/cqrs';
import type { DispatchShipment } from '@dropline/domain';
import type { CommandContext } from '@dropline/event-sourcing';
import { CommandFields, DropCommandMessage, PreOrderCommandHandler } from '../../drops/drop-command';
import type { PreOrderView } from '../../drops/drop-views';

/** A covered ship pre-order left the microfactory; answers with its view. */
export class DispatchShipmentCommand extends DropCommandMessage<DispatchShipment, PreOrderView> {
  constructor(fields: CommandFields<DispatchShipment>, context: CommandContext) {
    super('DispatchShipment', fields, context);
  }
}

@CommandHandler(DispatchShipmentCommand)
export class DispatchShipmentHandler extends PreOrderCommandHandler<DispatchShipmentCommand> {}
