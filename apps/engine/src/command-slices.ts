import type { Provider, Type } from '@nestjs/common';
import { AddDropMembersHandler } from './drops/add-drop-members/add-drop-members.command';
import { AddDropMembersController } from './drops/add-drop-members/add-drop-members.controller';
import { AnnounceDropHandler } from './drops/announce-drop/announce-drop.command';
import { AnnounceDropController } from './drops/announce-drop/announce-drop.controller';
import { CancelDropHandler } from './drops/cancel-drop/cancel-drop.command';
import { CancelDropController } from './drops/cancel-drop/cancel-drop.controller';
import { ClosePreOrderWindowHandler } from './drops/close-pre-order-window/close-pre-order-window.command';
import { ClosePreOrderWindowController } from './drops/close-pre-order-window/close-pre-order-window.controller';
import { CompleteDropHandler } from './drops/complete-drop/complete-drop.command';
import { CompleteDropController } from './drops/complete-drop/complete-drop.controller';
import { OpenAccessPhaseHandler } from './drops/open-access-phase/open-access-phase.command';
import { OpenAccessPhaseController } from './drops/open-access-phase/open-access-phase.controller';
import { OpenPreOrderWindowHandler } from './drops/open-pre-order-window/open-pre-order-window.command';
import { OpenPreOrderWindowController } from './drops/open-pre-order-window/open-pre-order-window.controller';
import { RemoveDropMembersHandler } from './drops/remove-drop-members/remove-drop-members.command';
import { RemoveDropMembersController } from './drops/remove-drop-members/remove-drop-members.controller';
import { RequestRefundsHandler } from './drops/request-refunds/request-refunds.command';
import { ReviseDropHandler } from './drops/revise-drop/revise-drop.command';
import { ReviseDropController } from './drops/revise-drop/revise-drop.controller';
import { ScheduleDropHandler } from './drops/schedule-drop/schedule-drop.command';
import { ScheduleDropController } from './drops/schedule-drop/schedule-drop.controller';
import { ConfirmDeliveryHandler } from './fulfillment/confirm-delivery/confirm-delivery.command';
import { ConfirmDeliveryController } from './fulfillment/confirm-delivery/confirm-delivery.controller';
import { ConfirmPickupHandler } from './fulfillment/confirm-pickup/confirm-pickup.command';
import { ConfirmPickupController } from './fulfillment/confirm-pickup/confirm-pickup.controller';
import { DispatchShipmentHandler } from './fulfillment/dispatch-shipment/dispatch-shipment.command';
import { DispatchShipmentController } from './fulfillment/dispatch-shipment/dispatch-shipment.controller';
import { MarkReadyForPickupHandler } from './fulfillment/mark-ready-for-pickup/mark-ready-for-pickup.command';
import { MarkReadyForPickupController } from './fulfillment/mark-ready-for-pickup/mark-ready-for-pickup.controller';
import { CancelPreOrderHandler } from './pre-orders/cancel-pre-order/cancel-pre-order.command';
import { CancelPreOrderController } from './pre-orders/cancel-pre-order/cancel-pre-order.controller';
import { PlacePreOrderHandler } from './pre-orders/place-pre-order/place-pre-order.command';
import { PlacePreOrderController } from './pre-orders/place-pre-order/place-pre-order.controller';
import {
  RecordPaymentAuthorizedHandler,
  RecordPaymentCapturedHandler,
  RecordPaymentFailedHandler,
  RecordPaymentRefundedHandler,
} from './pre-orders/record-payment/record-payment.command';
import { RecordPaymentController } from './pre-orders/record-payment/record-payment.controller';
import { RequestRefundHandler } from './pre-orders/request-refund/request-refund.command';
import { RequestRefundController } from './pre-orders/request-refund/request-refund.controller';
import { CompleteProductionRunHandler } from './production-runs/complete-production-run/complete-production-run.command';
import { CompleteProductionRunController } from './production-runs/complete-production-run/complete-production-run.controller';
import { RequestProductionRunHandler } from './production-runs/request-production-run/request-production-run.command';
import { RequestProductionRunController } from './production-runs/request-production-run/request-production-run.controller';
import { StartProductionRunHandler } from './production-runs/start-production-run/start-production-run.command';
import { StartProductionRunController } from './production-runs/start-production-run/start-production-run.controller';
import { ReceiveReturnHandler } from './returns/receive-return/receive-return.command';
import { ReceiveReturnController } from './returns/receive-return/receive-return.controller';
import { RecordReturnRefundedHandler } from './returns/record-return-refunded/record-return-refunded.command';
import { RecordReturnRefundedController } from './returns/record-return-refunded/record-return-refunded.controller';
import { RequestReturnHandler } from './returns/request-return/request-return.command';
import { RequestReturnController } from './returns/request-return/request-return.controller';

/**
 * The command slices: one folder per command (its command message, handler, controller and
 * request DTO). A new command adds its folder and its lines here.
 */
export const COMMAND_HANDLERS: Provider[] = [
  AddDropMembersHandler,
  AnnounceDropHandler,
  CancelDropHandler,
  ClosePreOrderWindowHandler,
  CompleteDropHandler,
  OpenAccessPhaseHandler,
  OpenPreOrderWindowHandler,
  RemoveDropMembersHandler,
  RequestRefundsHandler,
  ReviseDropHandler,
  ScheduleDropHandler,
  ConfirmDeliveryHandler,
  ConfirmPickupHandler,
  DispatchShipmentHandler,
  MarkReadyForPickupHandler,
  CancelPreOrderHandler,
  PlacePreOrderHandler,
  RecordPaymentAuthorizedHandler,
  RecordPaymentCapturedHandler,
  RecordPaymentFailedHandler,
  RecordPaymentRefundedHandler,
  RequestRefundHandler,
  CompleteProductionRunHandler,
  RequestProductionRunHandler,
  StartProductionRunHandler,
  ReceiveReturnHandler,
  RecordReturnRefundedHandler,
  RequestReturnHandler,
];

/** The slices' HTTP controllers (reads and visits are registered in EngineModule). */
export const COMMAND_CONTROLLERS: Type[] = [
  AddDropMembersController,
  AnnounceDropController,
  CancelDropController,
  ClosePreOrderWindowController,
  CompleteDropController,
  OpenAccessPhaseController,
  OpenPreOrderWindowController,
  RemoveDropMembersController,
  ReviseDropController,
  ScheduleDropController,
  ConfirmDeliveryController,
  ConfirmPickupController,
  DispatchShipmentController,
  MarkReadyForPickupController,
  CancelPreOrderController,
  PlacePreOrderController,
  RecordPaymentController,
  RequestRefundController,
  CompleteProductionRunController,
  RequestProductionRunController,
  StartProductionRunController,
  ReceiveReturnController,
  RecordReturnRefundedController,
  RequestReturnController,
];
