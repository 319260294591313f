// A parent for the orphan test: starts the simulator with spawnCarrierSim, prints its pid, and waits to be killed.
import { spawnCarrierSim } from '../src/spawn';

void spawnCarrierSim({
  env: {
    ...process.env,
    CARRIER_SIM_PORT: '0',
    CARRIER_SIM_SMPP_PORT: '0',
    CARRIER_SIM_API_KEY: 'orphan-test-key-0123456789',
    CARRIER_SIM_CALLBACK_SECRET: 'orphan-test-secret-0123456789',
    CARRIER_SIM_SMPP_PASSWORD: 'secret12',
  },
}).then((sim) => {
  process.stdout.write(`${JSON.stringify({ simPid: sim.child.pid })}\n`);
  setInterval(() => undefined, 60_000);
});
