import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CommandBus, CqrsModule } from '@nestjs/cqrs';
import type { DropCommand, DropState } from '@dropline/domain';
import type { CommandContext } from '@dropline/event-sourcing';
import { DropWriter } from './drop-writer';
import { CancelDropCommand, CancelDropHandler } from './cancel-drop/cancel-drop.command';
import { ScheduleDropCommand, ScheduleDropHandler } from './schedule-drop/schedule-drop.command';
import { lifecycleMessage } from '../scheduler/drop-scheduler';

const context: CommandContext = {
  actor: 'ops',
  correlationId: 'c-1',
  causationId: null,
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  occurredAt: '2026-12-01T10:00:00.000Z',
};

describe('drop command slices on the CommandBus', () => {
  async function busWith(answerState: DropState) {
    const seen: DropCommand[] = [];
    const writer = {
      execute: (command: DropCommand, _c: CommandContext, answer: (s: DropState, e: []) => unknown) => {
        seen.push(command);
        return Promise.resolve({ events: [], answer: answer(answerState, []) });
      },
    };
    @Module({
      imports: [CqrsModule.forRoot()],
      providers: [ScheduleDropHandler, CancelDropHandler, { provide: DropWriter, useValue: writer }],
    })
    class SlicesModule {}
    const app = await NestFactory.createApplicationContext(SlicesModule, { logger: false });
    return { bus: app.get(CommandBus), seen, close: () => app.close() };
  }

  it('routes each message to its own handler, which hands exactly its domain command to the writer', async () => {
    const { bus, seen, close } = await busWith({ status: 'initial' } as DropState);
    const answer = await bus.execute(new ScheduleDropCommand({ dropId: 'd1', definition: {} as never }, context));
    expect(answer).toEqual({ dropId: 'd1' });
    expect(seen).toEqual([{ type: 'ScheduleDrop', dropId: 'd1', definition: {}, now: context.occurredAt }]);
    await close();
  });

  it('types the answer: execute is not any', async () => {
    const { bus, close } = await busWith({ status: 'initial' } as DropState);
    const answer = await bus.execute(new ScheduleDropCommand({ dropId: 'd1', definition: {} as never }, context));
    // @ts-expect-error the answer is { dropId: string }, not a number (an untyped `any` would accept this)
    const wrong: number = answer;
    expect(typeof wrong).toBe('object');
    await close();
  });

  it("maps every due lifecycle command to its slice's message, carrying that command", () => {
    const due: DropCommand[] = [
      { type: 'OpenAccessPhase', dropId: 'd1', now: 'x', phase: 'early-access' },
      { type: 'OpenPreOrderWindow', dropId: 'd1', now: 'x' },
      { type: 'ClosePreOrderWindow', dropId: 'd1', now: 'x' },
      { type: 'CancelDrop', dropId: 'd1', reason: 'r', now: 'x' },
      { type: 'RequestRefunds', dropId: 'd1', maxCount: 10, now: 'x' },
      { type: 'CompleteDrop', dropId: 'd1', now: 'x' },
    ];
    for (const command of due) {
      const message = lifecycleMessage(command, context);
      expect(message.constructor.name).toBe(`${command.type}Command`);
      expect(message.command).toEqual({ ...command, now: context.occurredAt });
    }
    expect(lifecycleMessage(due[3]!, context)).toBeInstanceOf(CancelDropCommand);
    expect(() => lifecycleMessage({ type: 'ConfirmPickup', dropId: 'd1', preOrderId: 'p', now: 'x' }, context)).toThrow(/no slice/);
  });

  it('builds the command as `{ ...fields, type, now }` would: same keys, order and values, an own __proto__ key kept as data', () => {
    const fields = { dropId: 'd1', reason: 'r' };
    const message = new CancelDropCommand(fields, context);
    expect(Object.entries(message.command)).toEqual(Object.entries({ ...fields, type: 'CancelDrop', now: context.occurredAt }));
    expect(fields).toEqual({ dropId: 'd1', reason: 'r' });
    // A scheduler command already carries type and now: they keep their place, now is the context's.
    const due = { type: 'CancelDrop', dropId: 'd1', reason: 'r', now: 'x' } as const;
    expect(Object.entries(lifecycleMessage(due, context).command)).toEqual(Object.entries({ ...due, now: context.occurredAt }));
    const hostile = JSON.parse('{"dropId":"d1","reason":"r","__proto__":{"referralCode":"x"}}') as { dropId: string; reason: string };
    const command = new CancelDropCommand(hostile, context).command;
    expect(Object.getPrototypeOf(command)).toBe(Object.prototype);
    expect(Object.keys(command)).toEqual(['dropId', 'reason', '__proto__', 'type', 'now']);
    expect((command as { referralCode?: string }).referralCode).toBeUndefined();
  });
});
