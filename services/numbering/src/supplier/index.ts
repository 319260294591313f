import type { NumberSupplier } from '../domain/supplier';
import type { Config } from '../config';
import { CarrierSimSupplier } from './carrierSim';

/**
 * The supplier adapter `NUMBER_SUPPLIER` names. A real supplier's adapter is one more file beside
 * carrierSim.ts implementing `NumberSupplier`, one more value of NUMBER_SUPPLIER and one more case here.
 */
export function makeSupplier(
  config: Pick<
    Config,
    'NUMBER_SUPPLIER' | 'NUMBER_SUPPLIER_URL' | 'NUMBER_SUPPLIER_API_KEY' | 'NUMBER_SUPPLIER_TIMEOUT_MS'
  >,
): NumberSupplier {
  switch (config.NUMBER_SUPPLIER) {
    case 'carrier-sim':
      return new CarrierSimSupplier({
        url: config.NUMBER_SUPPLIER_URL,
        apiKey: config.NUMBER_SUPPLIER_API_KEY,
        timeoutMs: config.NUMBER_SUPPLIER_TIMEOUT_MS,
      });
  }
}

export { CarrierSimSupplier } from './carrierSim';
