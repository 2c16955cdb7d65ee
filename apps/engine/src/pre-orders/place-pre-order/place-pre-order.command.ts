import { CommandHandler } from '@nestjs/cqrs';
import { DomainError, DropState, PlacePreOrder, preOrderAnswer } from '@dropline/domain';
import type { CommandContext } from '@dropline/event-sourcing';
import { CommandFields, DropCommandHandler, DropCommandMessage } from '../../drops/drop-command';

export type PreOrderAnswer = NonNullable<ReturnType<typeof preOrderAnswer>>;

/** Places one pre-order (the hot path); answers with the placement. */
export class PlacePreOrderCommand extends DropCommandMessage<PlacePreOrder, PreOrderAnswer> {
  constructor(fields: CommandFields<PlacePreOrder>, context: CommandContext) {
    super('PlacePreOrder', fields, context);
  }
}

@CommandHandler(PlacePreOrderCommand)
export class PlacePreOrderHandler extends DropCommandHandler<PlacePreOrderCommand> {
  /** The same answer for the first request and for every retry with the same key. */
  protected answer(state: DropState, message: PlacePreOrderCommand): PreOrderAnswer {
    const answer = preOrderAnswer(state, message.command.preOrderId);
    if (!answer) throw new DomainError('PREORDER.NOT_FOUND', 'The pre-order was not recorded');
    return answer;
  }
}
