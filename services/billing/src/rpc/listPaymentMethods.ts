import type { RpcContext } from '@parley/kit';
import type { billingPaymentsV1 } from '@parley/proto';
import type { PaymentRepository } from '../db/payments';
import { paymentMethodMessage } from './paymentMessages';

export function makeListPaymentMethods(deps: { payments: PaymentRepository }) {
  return async ({
    caller,
  }: RpcContext<billingPaymentsV1.ListPaymentMethodsRequest>): Promise<billingPaymentsV1.ListPaymentMethodsResponse> => ({
    paymentMethods: (await deps.payments.listPaymentMethods(caller.tenantId)).map(paymentMethodMessage),
  });
}
