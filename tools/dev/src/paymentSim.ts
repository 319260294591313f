import { randomBytes } from 'node:crypto';
import { spawnPaymentSim, type SpawnedPaymentSim } from '@parley/payment-sim';
import type { LogPrinter } from './logs';

export interface DevPaymentSim extends SpawnedPaymentSim {
  /** PAYMENT_PROCESSOR* and PAYMENT_WEBHOOK_SECRET for billing: the simulator is its processor under `npm start`. */
  billingEnv: Record<string, string>;
  /** This run's publishable key: what a browser (or a script) tokenises cards with. */
  publishableKey: string;
}

/**
 * The payment simulator under `npm start`: a tool process of the launcher like the carrier simulator, with
 * fresh keys per run (it keeps its state in memory), its webhooks posted to billing's endpoint on
 * `webhookPort`, and 3-D Secure challenges passed on their own after a few seconds (so a demo top-up with a
 * 3-D Secure card completes without a browser). PAYMENT_SIM_* in the launcher's environment pass through.
 */
export async function startDevPaymentSim(options: {
  env: Record<string, string | undefined>;
  home: string;
  port: number;
  webhookPort: number;
  printer: LogPrinter;
}): Promise<DevPaymentSim> {
  const secretKey = `sk_dev_${randomBytes(18).toString('base64url')}`;
  const publishableKey = `pk_dev_${randomBytes(18).toString('base64url')}`;
  const webhookSecret = `whsec_${randomBytes(24).toString('base64url')}`;
  const sim = await spawnPaymentSim({
    detached: true,
    env: {
      PAYMENT_SIM_AUTHENTICATE_AFTER_MS: '3000',
      ...options.env,
      NODE_ENV: options.env.NODE_ENV ?? 'development',
      // Lets the launcher recognise it as its own if a killed run left it behind.
      PARLEY_HOME: options.home,
      PAYMENT_SIM_HOST: '127.0.0.1',
      PAYMENT_SIM_PORT: options.env.PAYMENT_SIM_PORT ?? String(options.port),
      PAYMENT_SIM_SECRET_KEY: secretKey,
      PAYMENT_SIM_PUBLISHABLE_KEY: publishableKey,
      PAYMENT_SIM_WEBHOOK_SECRET: webhookSecret,
      PAYMENT_SIM_WEBHOOK_URL: `http://127.0.0.1:${options.webhookPort}/processor/webhooks`,
    },
    onLine: (line, stream) => options.printer.line('payment-sim', line, stream),
  });
  options.printer.info(`payment simulator (tools/payment-sim) on ${sim.url}`);
  return {
    ...sim,
    publishableKey,
    billingEnv: {
      PAYMENT_PROCESSOR: 'payment-sim',
      PAYMENT_PROCESSOR_URL: sim.url,
      PAYMENT_PROCESSOR_SECRET_KEY: secretKey,
      PAYMENT_WEBHOOK_SECRET: webhookSecret,
      PAYMENT_WEBHOOK_PORT: String(options.webhookPort),
    },
  };
}
