import { CommandHandler } from '@nestjs/cqrs';
import { OpenAccessPhase, DropState, toDropView } from '@dropline/domain';
import type { CommandContext } from '@dropline/event-sourcing';
import { CommandFields, DropCommandHandler, DropCommandMessage } from '../drop-command';
import type { DropView } from '../drop-views';

/** Opens an access phase (the scheduler at its time, ops by hand); answers with the drop view. */
export class OpenAccessPhaseCommand extends DropCommandMessage<OpenAccessPhase, DropView> {
  constructor(fields: CommandFields<OpenAccessPhase>, context: CommandContext) {
    super('OpenAccessPhase', fields, context);
  }
}

@CommandHandler(OpenAccessPhaseCommand)
export class OpenAccessPhaseHandler extends DropCommandHandler<OpenAccessPhaseCommand> {
  protected answer(state: DropState): DropView {
    return toDropView(state);
  }
}
