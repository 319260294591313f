import { randomBytes } from 'node:crypto';
import { spawnCarrierSim, type SpawnedCarrierSim } from '@parley/carrier-sim';
import type { LogPrinter } from './logs';

export interface DevCarrierSim extends SpawnedCarrierSim {
  /** NUMBER_SUPPLIER* for numbering: the simulator is its supplier under `npm start`. */
  numberingEnv: Record<string, string>;
  /** SMPP_* for messaging: the simulator's SMSC is its SMS carrier under `npm start`. */
  messagingEnv: Record<string, string>;
  /** Its API key (this run's): for scripts that read its counters or simulate inbound messages. */
  apiKey: string;
}

/**
 * The carrier simulator under `npm start`: a tool process of the launcher (not a service in
 * services.json), started before the services, with a fresh API key and callback secret per run (it keeps
 * its state in memory). CARRIER_SIM_* in the launcher's environment (order delay, port-in step, ...) pass
 * through; its port is CARRIER_SIM_PORT or a free one, its SMSC's CARRIER_SIM_SMPP_PORT or a free one, with
 * a fresh SMPP password per run.
 */
export async function startDevCarrierSim(options: {
  env: Record<string, string | undefined>;
  home: string;
  port: number;
  printer: LogPrinter;
}): Promise<DevCarrierSim> {
  const apiKey = `sim_${randomBytes(18).toString('base64url')}`;
  const smppSystemId = options.env.CARRIER_SIM_SMPP_SYSTEM_ID || 'parley';
  // SMPP 3.4 passwords are at most 8 characters.
  const smppPassword = randomBytes(6).toString('base64url');
  const callbackSecret = options.env.CARRIER_SIM_CALLBACK_SECRET ?? randomBytes(24).toString('base64url');
  const sim = await spawnCarrierSim({
    detached: true,
    env: {
      ...options.env,
      NODE_ENV: options.env.NODE_ENV ?? 'development',
      // Lets the launcher recognise it as its own if a killed run left it behind.
      PARLEY_HOME: options.home,
      CARRIER_SIM_HOST: '127.0.0.1',
      CARRIER_SIM_PORT: options.env.CARRIER_SIM_PORT ?? String(options.port),
      CARRIER_SIM_API_KEY: apiKey,
      CARRIER_SIM_CALLBACK_SECRET: callbackSecret,
      CARRIER_SIM_SMPP_PORT: options.env.CARRIER_SIM_SMPP_PORT || '0',
      CARRIER_SIM_SMPP_SYSTEM_ID: smppSystemId,
      CARRIER_SIM_SMPP_PASSWORD: smppPassword,
    },
    onLine: (line, stream) => options.printer.line('carrier-sim', line, stream),
  });
  options.printer.info(`carrier simulator (tools/carrier-sim) on ${sim.url}`);
  options.printer.info(`its SMSC (SMPP 3.4) on ${sim.smpp.host}:${sim.smpp.port}`);
  return {
    ...sim,
    apiKey,
    numberingEnv: {
      NUMBER_SUPPLIER: 'carrier-sim',
      NUMBER_SUPPLIER_URL: sim.url,
      NUMBER_SUPPLIER_API_KEY: apiKey,
    },
    messagingEnv: {
      SMPP_HOST: sim.smpp.host,
      SMPP_PORT: String(sim.smpp.port),
      SMPP_SYSTEM_ID: smppSystemId,
      SMPP_PASSWORD: smppPassword,
      // Call detail records from the simulator (POST /control/calls) are signed with its callback secret.
      CARRIER_CALLBACK_SECRET: callbackSecret,
      // An erasure deletes recordings' media there.
      CARRIER_API_URL: sim.url,
      CARRIER_API_KEY: apiKey,
    },
  };
}
