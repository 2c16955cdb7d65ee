import { CommandHandler } from '@nestjs/cqrs';
import type { DropState, RemoveDropMembers } from '@dropline/domain';
import type { CommandContext } from '@dropline/event-sourcing';
import { CommandFields, DropCommandHandler, DropCommandMessage } from '../drop-command';
import { DropMembersAnswer, membersAnswer } from '../add-drop-members/add-drop-members.command';

/** Ops withdraws customers' members access (their pre-orders stay); answers with the members count. */
export class RemoveDropMembersCommand extends DropCommandMessage<RemoveDropMembers, DropMembersAnswer> {
  constructor(fields: CommandFields<RemoveDropMembers>, context: CommandContext) {
    super('RemoveDropMembers', fields, context);
  }
}

@CommandHandler(RemoveDropMembersCommand)
export class RemoveDropMembersHandler extends DropCommandHandler<RemoveDropMembersCommand> {
  protected answer(state: DropState, message: RemoveDropMembersCommand): DropMembersAnswer {
    return membersAnswer(state, message.command.dropId);
  }
}
