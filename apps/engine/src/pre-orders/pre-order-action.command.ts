import { CommandHandler } from '@nestjs/cqrs';
import type { DropCommand, DropState } from '@dropline/domain';
import type { CommandContext } from '@dropline/event-sourcing';
import { DropCommandHandler, DropCommandMessage } from '../drops/drop-command';
import { preOrderView } from '../drops/drop-views';
import { DropWriter } from '../drops/drop-writer';

type PreOrderCommand = Extract<DropCommand, { preOrderId: string }>;
/** A command on one existing pre-order, without the fields the engine fills in. */
export type PreOrderAction = PreOrderCommand extends infer C ? (C extends PreOrderCommand ? Omit<C, 'dropId' | 'now'> : never) : never;

/** Cancel, pay, refund, hand over or return one pre-order; answers with the pre-order's view. */
export class PreOrderActionCommand extends DropCommandMessage<ReturnType<typeof preOrderView>> {
  constructor(dropId: string, action: PreOrderAction, context: CommandContext) {
    super({ ...action, dropId, now: context.occurredAt } as DropCommand, context);
  }
  answer(state: DropState) {
    return preOrderView(state, (this.command as PreOrderCommand).preOrderId);
  }
}

@CommandHandler(PreOrderActionCommand)
export class PreOrderActionHandler extends DropCommandHandler<PreOrderActionCommand> {
  constructor(drops: DropWriter) {
    super(drops);
  }
}
