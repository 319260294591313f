// The carrier simulator as its own process: reads the environment, serves, and stops on SIGTERM/SIGINT.
// Its first stdout line is `{"event":"listening","url":...,"smpp":{"host","port"}}`, which the launcher and
// tests wait for.
import { loadSimConfig, SimConfigError } from './config';
import { startCarrierSim } from './server';
import { runTool } from './spawn';

runTool({
  name: 'carrier-sim',
  start: () => startCarrierSim(loadSimConfig(process.env)),
  listening: (sim) => ({ url: sim.url, smpp: sim.smpp }),
  isConfigError: (error): error is SimConfigError => error instanceof SimConfigError,
});
