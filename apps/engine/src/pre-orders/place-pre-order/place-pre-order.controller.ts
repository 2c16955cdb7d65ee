import { Body, Controller, Headers, HttpCode, Param, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { preOrderIdFor } from '@dropline/domain';
import { Caller, Clock, contextFromRequest, DropIdParams, type Principal, ProblemException } from '@dropline/platform';
import { CustomerHistory } from '../customer-history';
import { DropWriter } from '../../drops/drop-writer';
import { DemandRecorder } from '../../demand/demand-recorder';
import { PlacePreOrderCommand, PreOrderAnswer } from './place-pre-order.command';
import { PlacePreOrderDto } from './place-pre-order.dto';

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
  return createHash('sha256').update(canonical).digest('hex').slice(0, 32);
}

/**
 * The buyer's city for a drop's `city` phase: the verified token's `city` claim, when the token is
 * the buyer's own (a customer acting for themselves). A till's claim is where the till stands, not
 * where its customer lives: its customers qualify by picking up at one of the drop's locations.
 */
function buyerCity(caller: Principal | undefined, customerId: string): { buyerCity?: string } {
  return caller?.city !== undefined && caller.sub === customerId && caller.roles.includes('customer') ? { buyerCity: caller.city } : {};
}

@ApiTags('pre-orders')
@Controller('drops/:dropId/pre-orders')
export class PlacePreOrderController {
  constructor(
    private readonly commands: CommandBus,
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
  private async isRepeatCustomer(customerId: string, dropId: string): Promise<boolean> {
    const cached = this.drops.cachedState(dropId);
    const status = cached?.status;
    if (status !== undefined && status !== 'scheduled' && status !== 'early-access') return false;
    if (cached?.status === 'early-access' && !cached.phases.some((p) => p.audience === 'repeat-customers')) return false;
    return this.customers.isRepeatCustomer(customerId, dropId);
  }

  @Post()
  @HttpCode(201)
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
    const fulfillment =
      body.fulfillment.method === 'pickup'
        ? { method: 'pickup' as const, locationId: body.fulfillment.locationId! }
        : { method: 'ship' as const };
    return this.commands
      .execute(
        new PlacePreOrderCommand(
          {
            dropId: params.dropId,
            preOrderId: preOrderIdFor(params.dropId, body.customerId, key),
            customerId: body.customerId,
            sku: body.sku,
            quantity: body.quantity,
            channel: body.channel,
            fulfillment,
            ...(body.referralCode ? { referralCode: body.referralCode } : {}),
            isRepeatCustomer: await this.isRepeatCustomer(body.customerId, params.dropId),
            ...buyerCity(caller, body.customerId),
            idempotencyFingerprint: fingerprint(body),
          },
          contextFromRequest(request, this.clock),
        ),
      )
      .catch((error: unknown) => {
        // Sold-out and insufficient-stock rejections are demand too: count them (in memory) for the replay.
        this.demand.recordRejection(params.dropId, body.sku, body.quantity, error);
        throw error;
      });
  }
}
