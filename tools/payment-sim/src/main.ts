// The payment simulator as its own process: reads the environment, serves, and stops on SIGTERM/SIGINT.
// Its first stdout line is `{"event":"listening","url":...}`, which the launcher and tests wait for.
import { runTool } from '@parley/carrier-sim/src/spawn';
import { loadPaymentSimConfig, PaymentSimConfigError } from './config';
import { startPaymentSim } from './server';

runTool({
  name: 'payment-sim',
  start: () => startPaymentSim(loadPaymentSimConfig(process.env)),
  listening: (sim) => ({ url: sim.url }),
  isConfigError: (error): error is PaymentSimConfigError => error instanceof PaymentSimConfigError,
});
