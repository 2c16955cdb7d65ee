import { CommandHandler } from '@nestjs/cqrs';
import type {
  RecordPaymentAuthorized,
  RecordPaymentCaptured,
  RecordPaymentFailed,
  RecordPaymentRefunded,
  DropState,
} from '@dropline/domain';
import type { CommandContext } from '@dropline/event-sourcing';
import { CommandFields, DropCommandHandler, DropCommandMessage } from '../../drops/drop-command';
import { preOrderView, PreOrderView } from '../../drops/drop-views';

/** Records a payment provider's fact on a pre-order; answers with its view. */
export class RecordPaymentAuthorizedCommand extends DropCommandMessage<RecordPaymentAuthorized, PreOrderView> {
  constructor(fields: CommandFields<RecordPaymentAuthorized>, context: CommandContext) {
    super('RecordPaymentAuthorized', fields, context);
  }
}

@CommandHandler(RecordPaymentAuthorizedCommand)
export class RecordPaymentAuthorizedHandler extends DropCommandHandler<RecordPaymentAuthorizedCommand> {
  protected answer(state: DropState, message: RecordPaymentAuthorizedCommand): PreOrderView {
    return preOrderView(state, message.command.preOrderId);
  }
}

/** Records a payment provider's fact on a pre-order; answers with its view. */
export class RecordPaymentCapturedCommand extends DropCommandMessage<RecordPaymentCaptured, PreOrderView> {
  constructor(fields: CommandFields<RecordPaymentCaptured>, context: CommandContext) {
    super('RecordPaymentCaptured', fields, context);
  }
}

@CommandHandler(RecordPaymentCapturedCommand)
export class RecordPaymentCapturedHandler extends DropCommandHandler<RecordPaymentCapturedCommand> {
  protected answer(state: DropState, message: RecordPaymentCapturedCommand): PreOrderView {
    return preOrderView(state, message.command.preOrderId);
  }
}

/** Records a payment provider's fact on a pre-order; answers with its view. */
export class RecordPaymentFailedCommand extends DropCommandMessage<RecordPaymentFailed, PreOrderView> {
  constructor(fields: CommandFields<RecordPaymentFailed>, context: CommandContext) {
    super('RecordPaymentFailed', fields, context);
  }
}

@CommandHandler(RecordPaymentFailedCommand)
export class RecordPaymentFailedHandler extends DropCommandHandler<RecordPaymentFailedCommand> {
  protected answer(state: DropState, message: RecordPaymentFailedCommand): PreOrderView {
    return preOrderView(state, message.command.preOrderId);
  }
}

/** Records a payment provider's fact on a pre-order; answers with its view. */
export class RecordPaymentRefundedCommand extends DropCommandMessage<RecordPaymentRefunded, PreOrderView> {
  constructor(fields: CommandFields<RecordPaymentRefunded>, context: CommandContext) {
    super('RecordPaymentRefunded', fields, context);
  }
}

@CommandHandler(RecordPaymentRefundedCommand)
export class RecordPaymentRefundedHandler extends DropCommandHandler<RecordPaymentRefundedCommand> {
  protected answer(state: DropState, message: RecordPaymentRefundedCommand): PreOrderView {
    return preOrderView(state, message.command.preOrderId);
  }
}
