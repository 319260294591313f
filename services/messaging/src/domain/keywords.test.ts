import { describe, expect, it } from '@jest/globals';
import { keywordOf } from './keywords';

describe('keywordOf', () => {
  it.each([
    ['STOP', 'STOP', 'opt-out'],
    ['stop', 'STOP', 'opt-out'],
    ['  Stop \n', 'STOP', 'opt-out'],
    ['StopAll', 'STOPALL', 'opt-out'],
    ['unsubscribe', 'UNSUBSCRIBE', 'opt-out'],
    ['cancel', 'CANCEL', 'opt-out'],
    ['End', 'END', 'opt-out'],
    ['QUIT\t', 'QUIT', 'opt-out'],
    ['start', 'START', 'opt-in'],
    ['yes', 'YES', 'opt-in'],
    ['UnStop', 'UNSTOP', 'opt-in'],
    ['help', 'HELP', 'help'],
    [' info ', 'INFO', 'help'],
  ])('%j is %s (%s)', (text, keyword, action) => {
    expect(keywordOf(text)).toEqual({ keyword, action });
  });

  it.each([
    'stop it',
    'please stop',
    'STOP!',
    'S T O P',
    'stopp',
    '',
    '   ',
    'yes please',
    'helpful',
    'constructor',
    'toString',
  ])('%j is no keyword', (text) => {
    expect(keywordOf(text)).toBeUndefined();
  });
});
