import { Inject, Injectable } from '@nestjs/common';
import type { Databases } from '@dropline/platform';
import { DATABASES } from '@dropline/platform';

/**
 * Whether a customer bought in an earlier drop (early access is for repeat customers).
 * The answer comes from the pre-orders-by-customer read model and goes into the command,
 * so the decider stays pure.
 */
@Injectable()
export class CustomerHistory {
  constructor(@Inject(DATABASES) private readonly databases: Databases) {}

  async isRepeatCustomer(customerId: string, dropId: string): Promise<boolean> {
    const { rows } = await this.databases.readModels.query(
      `select 1 from rm_customer_pre_orders where customer_id = $1 and drop_id <> $2 and status <> 'cancelled' limit 1`,
      [customerId, dropId],
    );
    return rows.length > 0;
  }
}
