import { CommandHandler } from '@nestjs/cqrs';
import type { RecordPaymentAuthorized, RecordPaymentCaptured, RecordPaymentFailed, RecordPaymentRefunded } from '@dropline/domain';
import type { CommandContext } from '@dropline/event-sourcing';
import { CommandFields, DropCommandMessage, PreOrderCommandHandler } from '../../drops/drop-command';
import type { PreOrderView } from '../../drops/drop-views';

/** Records a payment provider's fact on a pre-order; answers with its view. */
export class RecordPaymentAuthorizedCommand extends DropCommandMessage<RecordPaymentAuthorized, PreOrderView> {
  constructor(fields: CommandFields<RecordPaymentAuthorized>, context: CommandContext) {
    super('RecordPaymentAuthorized', fields, context);
  }
}

@CommandHandler(RecordPaymentAuthorizedCommand)
export class RecordPaymentAuthorizedHandler extends PreOrderCommandHandler<RecordPaymentAuthorizedCommand> {}

/** Records a payment provider's fact on a pre-order; answers with its view. */
export class RecordPaymentCapturedCommand extends DropCommandMessage<RecordPaymentCaptured, PreOrderView> {
  constructor(fields: CommandFields<RecordPaymentCaptured>, context: CommandContext) {
    super('RecordPaymentCaptured', fields, context);
  }
}

@CommandHandler(RecordPaymentCapturedCommand)
export class RecordPaymentCapturedHandler extends PreOrderCommandHandler<RecordPaymentCapturedCommand> {}

/** Records a payment provider's fact on a pre-order; answers with its view. */
export class RecordPaymentFailedCommand extends DropCommandMessage<RecordPaymentFailed, PreOrderView> {
  constructor(fields: CommandFields<RecordPaymentFailed>, context: CommandContext) {
    super('RecordPaymentFailed', fields, context);
  }
}

@CommandHandler(RecordPaymentFailedCommand)
export class RecordPaymentFailedHandler extends PreOrderCommandHandler<RecordPaymentFailedCommand> {}

/** Records a payment provider's fact on a pre-order; answers with its view. */
export class RecordPaymentRefundedCommand extends DropCommandMessage<RecordPaymentRefunded, PreOrderView> {
  constructor(fields: CommandFields<RecordPaymentRefunded>, context: CommandContext) {
    super('RecordPaymentRefunded', fields, context);
  }
}

@CommandHandler(RecordPaymentRefundedCommand)
export class RecordPaymentRefundedHandler extends PreOrderCommandHandler<RecordPaymentRefundedCommand> {}
