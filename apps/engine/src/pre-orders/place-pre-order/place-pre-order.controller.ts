import { Body, Controller, Headers, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { hash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { type PlacePreOrder, preOrderIdFor } from '@dropline/domain';
import { Caller, Clock, contextFromRequest, DropIdParams, type Principal, ProblemException } from '@dropline/platform';
import { CustomerHistory } from '../customer-history';
import { DropWriter } from '../../drops/drop-writer';
import { DemandRecorder } from '../../demand/demand-recorder';
import type { CommandFields } from '../../drops/drop-command';
import { PlacePreOrderCommand, PlacePreOrderHandler, PreOrderAnswer } from './place-pre-order.command';
import { PlacePreOrderDto } from './place-pre-order.dto';
import { PreOrderAnswerDto } from '../../drops/drop-views.dto';

const KEY = /^[A-Za-z0-9._:-]{1,128}$/;

/** Canonical hash of what the caller asked for: a retry must ask for exactly the same. */
export function fingerprint(body: PlacePreOrderDto): string {
  const canonical = [
    body.customerId,
    body.sku,
    body.quantity,
    body.channel,
    body.fulfillment.method,
    body.fulfillment.locationId ?? '',
    body.referralCode ?? '',
  ].join('\n');
  return hash('sha256', canonical).slice(0, 32);
}

/**
 * The buyer's city for a drop's `city` phase: the verified token's `city` claim, when the token is
 * the buyer's own (a customer acting for themselves). A till's claim is where the till stands, not
 * where its customer lives: its customers qualify by picking up at one of the drop's locations.
 */
function buyerCity(caller: Principal | undefined, customerId: string): string | undefined {
  return caller?.city !== undefined && caller.sub === customerId && caller.roles.includes('customer') ? caller.city : undefined;
}

@ApiTags('pre-orders')
@Controller('drops/:dropId/pre-orders')
export class PlacePreOrderController {
  /**
   * The route calls its command's handler itself rather than through CommandBus.execute: the bus
   * would only look the handler up by the message's class (reflect-metadata) and publish the
   * message on an rxjs Subject nothing subscribes to, per pre-order. The handler is the one
   * @CommandHandler the bus dispatches PlacePreOrderCommand to (bench scenarios, tests): the same
   * load → decide → append path on the DropWriter.
   */
  constructor(
    private readonly placement: PlacePreOrderHandler,
    private readonly clock: Clock,
    private readonly customers: CustomerHistory,
    private readonly demand: DemandRecorder,
    private readonly drops: DropWriter,
  ) {}

  /**
   * Repeat-customer status only matters before the public window opens. Once the drop is
   * known (cached) to be past early access, the hot path skips the read-model query; so it does
   * in early access when no phase of the drop is for repeat customers (the definition cannot
   * change once a phase opened). A drop that is not cached here, or still scheduled, is asked about.
   */
  private isRepeatCustomer(customerId: string, dropId: string): Promise<boolean> | false {
    const cached = this.drops.cachedState(dropId);
    const status = cached?.status;
    if (status !== undefined && status !== 'scheduled' && status !== 'early-access') return false;
    if (cached?.status === 'early-access' && !cached.phases.some((p) => p.audience === 'repeat-customers')) return false;
    return this.customers.isRepeatCustomer(customerId, dropId);
  }

  @Post()
  @HttpCode(201)
  @ApiCreatedResponse({ type: PreOrderAnswerDto })
  @ApiOperation({
    summary: 'Place a pre-order',
    description: 'Idempotent per (customer, drop, Idempotency-Key): a retry returns the original 201.',
  })
  @ApiHeader({ name: 'Idempotency-Key', required: true })
  async place(
    @Param() params: DropIdParams,
    @Body() body: PlacePreOrderDto,
    @Headers('idempotency-key') key: string | undefined,
    @Req() request: FastifyRequest,
    @Caller() caller: Principal | undefined,
  ): Promise<PreOrderAnswer> {
    if (key === undefined || key === '')
      throw new ProblemException(400, 'IDEMPOTENCY.KEY_REQUIRED', 'The Idempotency-Key header is required on pre-orders', {
        field: 'Idempotency-Key',
      });
    if (!KEY.test(key))
      throw new ProblemException(400, 'VALIDATION.FAILED', 'Idempotency-Key must be 1-128 letters, digits, or . _ : -', {
        field: 'Idempotency-Key',
      });
    const { dropId } = params;
    const repeatCustomer = this.isRepeatCustomer(body.customerId, dropId);
    const fields: CommandFields<PlacePreOrder> = {
      dropId,
      preOrderId: preOrderIdFor(dropId, body.customerId, key),
      customerId: body.customerId,
      sku: body.sku,
      quantity: body.quantity,
      channel: body.channel,
      fulfillment:
        body.fulfillment.method === 'pickup' ? { method: 'pickup', locationId: body.fulfillment.locationId! } : { method: 'ship' },
      // Known without IO on the hot path (the drop is open): awaited only while it may matter.
      isRepeatCustomer: repeatCustomer === false ? false : await repeatCustomer,
      idempotencyFingerprint: fingerprint(body),
    };
    if (body.referralCode) fields.referralCode = body.referralCode;
    const city = buyerCity(caller, body.customerId);
    if (city !== undefined) fields.buyerCity = city;
    const command = new PlacePreOrderCommand(fields, contextFromRequest(request, this.clock));
    try {
      return await this.placement.execute(command);
    } catch (error) {
      // Sold-out and insufficient-stock rejections are demand too: count them (in memory) for the
      // replay, each at most the units one customer may buy (the limit is checked after stock).
      const drop = this.drops.cachedState(dropId);
      const units = !drop || drop.status === 'initial' ? body.quantity : Math.min(body.quantity, drop.definition.perCustomerLimit);
      this.demand.recordRejection(dropId, body.sku, units, error);
      throw error;
    }
  }
}
