import { CommandHandler } from '@nestjs/cqrs';
import type { CancelPreOrder } from '@dropline/domain';
import type { CommandContext } from '@dropline/event-sourcing';
import { CommandFields, DropCommandMessage, PreOrderCommandHandler } from '../../drops/drop-command';
import type { PreOrderView } from '../../drops/drop-views';

/** Cancels one pre-order before the window closes; answers with its view. */
export class CancelPreOrderCommand extends DropCommandMessage<CancelPreOrder, PreOrderView> {
  constructor(fields: CommandFields<CancelPreOrder>, context: CommandContext) {
    super('CancelPreOrder', fields, context);
  }
}

@CommandHandler(CancelPreOrderCommand)
export class CancelPreOrderHandler extends PreOrderCommandHandler<CancelPreOrderCommand> {}
