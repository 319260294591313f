// The opt-out keywords of an inbound message (CTIA Messaging Principles, as the big providers honour
// them): the whole message, in any case, with spaces around it. Pure.
import type { Keyword } from '../db/schema';

export type KeywordAction = 'opt-out' | 'opt-in' | 'help';

const ACTIONS: Record<Keyword, KeywordAction> = {
  STOP: 'opt-out',
  STOPALL: 'opt-out',
  UNSUBSCRIBE: 'opt-out',
  CANCEL: 'opt-out',
  END: 'opt-out',
  QUIT: 'opt-out',
  START: 'opt-in',
  YES: 'opt-in',
  UNSTOP: 'opt-in',
  HELP: 'help',
  INFO: 'help',
};

/** The keyword a message is, when the whole of it is one (`" stop\n"` is STOP, `"stop it"` is none). */
export function keywordOf(text: string): { keyword: Keyword; action: KeywordAction } | undefined {
  const word = text.trim().toUpperCase();
  return Object.hasOwn(ACTIONS, word)
    ? { keyword: word as Keyword, action: ACTIONS[word as Keyword] }
    : undefined;
}

/** What Parley answers an opt-out or opt-in with (HELP is answered with the tenant's help text). */
export const CONFIRMATIONS: Record<Exclude<KeywordAction, 'help'>, string> = {
  'opt-out':
    'You have been unsubscribed and will receive no more messages from this number. Reply START to resubscribe.',
  'opt-in': 'You have been resubscribed to messages from this number. Reply STOP to unsubscribe.',
};
