import type { EventHandler } from '@parley/kit';
import { messagingV1 } from '@parley/proto';
import type { AccountRepository } from '../../db/accounts';
import type { WalletRepository } from '../../db/wallets';

/**
 * billing-on-message-failed: nothing is rated (segments the carrier accepted were rated from
 * messaging.message.sent), but the send's reservation ends on every replica: the balance is announced again
 * with the message as its reference, which each replica's authorisation state takes as the release.
 */
export function onMessageFailed(deps: {
  accounts: AccountRepository;
  wallet: WalletRepository;
}): EventHandler<messagingV1.MessageFailed> {
  return {
    durable: 'billing-on-message-failed',
    eventType: 'messaging.message.failed',
    messageType: messagingV1.MessageFailed,
    async handle(tx, { payload, envelope }) {
      const account = await deps.accounts.inTransaction(tx, envelope.tenantId);
      // No account: no reservation could have been made for the tenant.
      if (account) await deps.wallet.announce(tx, account, payload.messageId);
    },
  };
}
