import { ApiProperty } from '@nestjs/swagger';
import { Matches } from 'class-validator';

/** Customer ids (a customer token's subject too): 1-128 letters, digits, or . _ : @ -, starting with a letter or digit. */
export const CUSTOMER_ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;
/** Drop ids are UUIDs or caller-chosen slugs; never dots, which separate child ids. */
export const DROP_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** Child ids start with their drop id: `<dropId>.po.<hash>`, `<dropId>.run.<n>`, `<dropId>.ret.<…>`. */
export const CHILD_ID = /^[A-Za-z0-9_-]{1,64}\.[a-z]+\.[A-Za-z0-9_.-]{1,80}$/;

export class DropIdParams {
  @ApiProperty()
  @Matches(DROP_ID, { message: 'dropId must be 1-64 letters, digits, - or _' })
  dropId!: string;
}
export class PreOrderIdParams {
  @ApiProperty()
  @Matches(CHILD_ID, { message: 'preOrderId is not a pre-order id' })
  preOrderId!: string;
}
export class RunIdParams {
  @ApiProperty()
  @Matches(CHILD_ID, { message: 'runId is not a production run id' })
  runId!: string;
}
export class ReturnIdParams {
  @ApiProperty()
  @Matches(CHILD_ID, { message: 'returnId is not a return id' })
  returnId!: string;
}
/** A customer of a drop: /drops/:dropId/members/:customerId. */
export class DropMemberParams extends DropIdParams {
  @ApiProperty()
  @Matches(CUSTOMER_ID, { message: 'customerId must be 1-128 letters, digits, or . _ : @ -' })
  customerId!: string;
}
