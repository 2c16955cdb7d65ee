import { CommandBus } from '@nestjs/cqrs';
import { DomainError, dropIdOf } from '@dropline/domain';
import { EngineCommands, EngineRejectedError, HandOverReport } from '@dropline/fulfillment';
import type { Clock } from '@dropline/platform';
import { problem, statusForDomainCode, systemContext } from '@dropline/platform';
import { PreOrderAction, PreOrderActionCommand } from '../pre-orders/pre-order-action.command';

/**
 * Embedded mode: fulfillment reports hand-overs through the same CommandBus handlers the
 * HTTP routes use, so the drop's history shows them exactly as it would over HTTP.
 */
export class CommandBusEngineCommands implements EngineCommands {
  constructor(
    private readonly commands: CommandBus,
    private readonly clock: Clock,
  ) {}

  async report(preOrderId: string, report: HandOverReport): Promise<void> {
    const action: PreOrderAction = (() => {
      switch (report.action) {
        case 'dispatch':
          return { type: 'DispatchShipment', preOrderId, carrier: report.carrier, trackingNumber: report.trackingNumber } as PreOrderAction;
        case 'delivered':
          return { type: 'ConfirmDelivery', preOrderId } as PreOrderAction;
        case 'ready-for-pickup':
          return { type: 'MarkReadyForPickup', preOrderId } as PreOrderAction;
        case 'picked-up':
          return { type: 'ConfirmPickup', preOrderId } as PreOrderAction;
        default: {
          const never: never = report;
          throw new Error(`unknown hand-over ${JSON.stringify(never)}`);
        }
      }
    })();
    try {
      await this.commands.execute(new PreOrderActionCommand(dropIdOf(preOrderId), action, systemContext('fulfillment', this.clock)));
    } catch (e) {
      if (e instanceof DomainError) {
        const status = statusForDomainCode(e.code);
        throw new EngineRejectedError(status, { ...problem(status, e.code, e.message, e.details) });
      }
      throw e;
    }
  }
}
