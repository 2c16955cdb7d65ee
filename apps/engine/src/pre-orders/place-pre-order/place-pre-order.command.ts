import { CommandHandler } from '@nestjs/cqrs';
import { DomainError, DropState, PlacePreOrder, preOrderAnswer } from '@dropline/domain';
import type { CommandContext } from '@dropline/event-sourcing';
import { DropCommandHandler, DropCommandMessage } from '../../drops/drop-command';
import { DropWriter } from '../../drops/drop-writer';

export type PreOrderAnswer = NonNullable<ReturnType<typeof preOrderAnswer>>;

export class PlacePreOrderCommand extends DropCommandMessage<PreOrderAnswer> {
  constructor(
    readonly placement: Omit<PlacePreOrder, 'type' | 'now'>,
    context: CommandContext,
  ) {
    super({ type: 'PlacePreOrder', ...placement, now: context.occurredAt }, context);
  }
  /** The same answer for the first request and for every retry with the same key. */
  answer(state: DropState): PreOrderAnswer {
    const answer = preOrderAnswer(state, this.placement.preOrderId);
    if (!answer) throw new DomainError('PREORDER.NOT_FOUND', 'The pre-order was not recorded');
    return answer;
  }
}

@CommandHandler(PlacePreOrderCommand)
export class PlacePreOrderHandler extends DropCommandHandler<PlacePreOrderCommand> {
  constructor(drops: DropWriter) {
    super(drops);
  }
}
