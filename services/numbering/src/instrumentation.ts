// Loaded before anything else so OpenTelemetry can instrument http, gRPC and pg as they load.
import { startTelemetryFromEnv } from '@parley/kit/src/telemetry';
import { version } from '../package.json';

startTelemetryFromEnv('numbering', version, process.env);
