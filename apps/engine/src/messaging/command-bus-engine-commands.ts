import { CommandBus } from '@nestjs/cqrs';
import { DomainError, dropIdOf } from '@dropline/domain';
import { EngineCommands, EngineRejectedError, HandOverOrigin, HandOverReport } from '@dropline/fulfillment';
import type { Clock } from '@dropline/platform';
import { problem, statusForDomainCode, systemContext } from '@dropline/platform';
import { ConfirmDeliveryCommand } from '../fulfillment/confirm-delivery/confirm-delivery.command';
import { ConfirmPickupCommand } from '../fulfillment/confirm-pickup/confirm-pickup.command';
import { DispatchShipmentCommand } from '../fulfillment/dispatch-shipment/dispatch-shipment.command';
import { MarkReadyForPickupCommand } from '../fulfillment/mark-ready-for-pickup/mark-ready-for-pickup.command';

/**
 * Embedded mode: fulfillment reports hand-overs through the same CommandBus handlers the
 * HTTP routes use, so the drop's history shows them exactly as it would over HTTP: a hand-over an
 * ops user reported through fulfillment's routes keeps that request's actor, correlation and
 * causation; one without an origin is fulfillment's own (`system:fulfillment`).
 */
export class CommandBusEngineCommands implements EngineCommands {
  constructor(
    private readonly commands: CommandBus,
    private readonly clock: Clock,
  ) {}

  async report(preOrderId: string, report: HandOverReport, origin?: HandOverOrigin): Promise<void> {
    const context = origin ? { ...origin.context, occurredAt: this.clock.now().toISOString() } : systemContext('fulfillment', this.clock);
    const fields = { dropId: dropIdOf(preOrderId), preOrderId };
    const message = (() => {
      switch (report.action) {
        case 'dispatch':
          return new DispatchShipmentCommand({ ...fields, carrier: report.carrier, trackingNumber: report.trackingNumber }, context);
        case 'delivered':
          return new ConfirmDeliveryCommand(fields, context);
        case 'ready-for-pickup':
          return new MarkReadyForPickupCommand(fields, context);
        case 'picked-up':
          return new ConfirmPickupCommand(fields, context);
        default: {
          const never: never = report;
          throw new Error(`unknown hand-over ${JSON.stringify(never)}`);
        }
      }
    })();
    try {
      await this.commands.execute(message);
    } catch (e) {
      if (e instanceof DomainError) {
        const status = statusForDomainCode(e.code);
        throw new EngineRejectedError(status, { ...problem(status, e.code, e.message, e.details) });
      }
      throw e;
    }
  }
}
