import { invalidArgument, type RpcContext } from '@parley/kit';
import type { billingPaymentsV1 } from '@parley/proto';
import type { PaymentRepository } from '../db/payments';
import type { PaymentProcessor } from '../domain/paymentProcessor';
import { checkToken, isExpired, requireProcessor } from '../domain/payments';
import { paymentMethodMessage } from './paymentMessages';

/**
 * Stores a card the customer tokenised in their browser: the processor is asked what the token stands for
 * (brand, last four, expiry: never taken from the client), and only that and the token are kept.
 */
export function makeCreatePaymentMethod(deps: {
  processor: PaymentProcessor | undefined;
  payments: PaymentRepository;
  now?: () => Date;
}) {
  return async ({
    request,
    caller,
  }: RpcContext<billingPaymentsV1.CreatePaymentMethodRequest>): Promise<billingPaymentsV1.CreatePaymentMethodResponse> => {
    const processor = requireProcessor(deps.processor);
    const token = checkToken(request.token);
    const card = await processor.describeToken(token);
    if (!card)
      throw invalidArgument(
        'PAYMENT_TOKEN_UNKNOWN',
        'the processor knows no such token; tokenise the card again',
        [{ field: 'token', description: 'not a token of the payment processor' }],
      );
    if (isExpired(card, deps.now?.() ?? new Date()))
      throw invalidArgument('PAYMENT_METHOD_EXPIRED', 'the card has expired', [
        { field: 'token', description: `the card expired at the end of ${card.expMonth}/${card.expYear}` },
      ]);
    const row = await deps.payments.addPaymentMethod(caller.tenantId, {
      processor: processor.name,
      token,
      card,
      makeDefault: request.makeDefault,
      // A person signed in (`user:<idp subject>`): the card is theirs, for privacy requests naming them.
      addedBy: caller.principal.startsWith('user:') ? caller.principal.slice('user:'.length) : '',
    });
    return { paymentMethod: paymentMethodMessage(row) };
  };
}
