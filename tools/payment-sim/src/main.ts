// The payment simulator as its own process: reads the environment, serves, and stops on SIGTERM/SIGINT.
// Its first stdout line is `{"event":"listening","url":...}`, which the launcher and tests wait for.
import { loadPaymentSimConfig, PaymentSimConfigError } from './config';
import { startPaymentSim } from './server';

async function main(): Promise<void> {
  const sim = await startPaymentSim(loadPaymentSimConfig(process.env));
  console.log(JSON.stringify({ event: 'listening', url: sim.url }));
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    sim.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof PaymentSimConfigError ? `payment-sim: ${error.message}` : error);
  process.exit(2);
});
