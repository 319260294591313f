// The carrier simulator as its own process: reads the environment, serves, and stops on SIGTERM/SIGINT.
// Its first stdout line is `{"event":"listening","url":...,"smpp":{"host","port"}}`, which the launcher and
// tests wait for.
import { loadSimConfig, SimConfigError } from './config';
import { startCarrierSim } from './server';

async function main(): Promise<void> {
  const config = loadSimConfig(process.env);
  const sim = await startCarrierSim(config);
  console.log(JSON.stringify({ event: 'listening', url: sim.url, smpp: sim.smpp }));
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
  console.error(error instanceof SimConfigError ? `carrier-sim: ${error.message}` : error);
  process.exit(2);
});
