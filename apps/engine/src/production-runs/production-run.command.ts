import { CommandHandler } from '@nestjs/cqrs';
import type { DropCommand, DropState } from '@dropline/domain';
import type { CommandContext } from '@dropline/event-sourcing';
import { DropCommandHandler, DropCommandMessage } from '../drops/drop-command';
import { productionRunView } from '../drops/drop-views';
import { DropWriter } from '../drops/drop-writer';

type RunCommandType = Extract<DropCommand, { runId: string }>;
export type RunAction = RunCommandType extends infer C ? (C extends RunCommandType ? Omit<C, 'dropId' | 'now'> : never) : never;

/** Request, start or complete a production run; answers with the run's view. */
export class ProductionRunCommand extends DropCommandMessage<ReturnType<typeof productionRunView>> {
  constructor(dropId: string, action: RunAction, context: CommandContext) {
    super({ ...action, dropId, now: context.occurredAt } as DropCommand, context);
  }
  answer(state: DropState) {
    return productionRunView(state, (this.command as RunCommandType).runId);
  }
}

@CommandHandler(ProductionRunCommand)
export class ProductionRunHandler extends DropCommandHandler<ProductionRunCommand> {
  constructor(drops: DropWriter) {
    super(drops);
  }
}
