import { describe, expect, it } from '@jest/globals';
import { consumedStreams, parseServices, serviceWiring } from './services';

const entry = (name: string, extra: object = {}) => ({
  name,
  publishesEvents: true,
  privacyParticipant: false,
  calls: [],
  consumes: [],
  ...extra,
});
const text = (...services: object[]) => JSON.stringify({ services });

describe('services.json', () => {
  it('wires callers to their callees and privacy to its participants', () => {
    const services = parseServices(
      text(
        entry('identity', { privacyParticipant: true }),
        entry('privacy', { privacyParticipant: true, calls: ['identity'] }),
        entry('gateway', {
          publishesEvents: false,
          privacyParticipant: true,
          calls: ['identity', 'privacy'],
        }),
      ),
    );
    const addressOf = (name: string) => `${name}:1`;
    expect(serviceWiring(services[2]!, services, addressOf)).toEqual({
      IDENTITY_ADDR: 'identity:1',
      PRIVACY_ADDR: 'privacy:1',
    });
    expect(serviceWiring(services[1]!, services, addressOf)).toEqual({
      IDENTITY_ADDR: 'identity:1',
      PRIVACY_PARTICIPANTS: 'identity=identity:1,privacy=privacy:1,gateway=gateway:1',
    });
    expect(consumedStreams(services[0]!)).toEqual(['privacy']);
  });

  it.each([
    [
      'a name that is not one lowercase word',
      text(entry('Bad-Name')),
      /services\[0\] \(Bad-Name\).name must be one lowercase word/,
    ],
    ['a name declared twice', text(entry('identity'), entry('identity')), /declared twice/],
    ['a missing flag', text({ ...entry('identity'), publishesEvents: 'yes' }), /identity\).publishesEvents/],
    ['a call to an undeclared service', text(entry('gateway', { calls: ['billing'] })), /names "billing"/],
    [
      'consuming a service that publishes nothing',
      text(entry('billing', { consumes: ['gateway'] }), entry('gateway', { publishesEvents: false })),
      /billing consumes gateway, which publishes no events/,
    ],
  ])('refuses %s, naming it', (_what, input, message) => {
    expect(() => parseServices(input)).toThrow(message);
  });
});
