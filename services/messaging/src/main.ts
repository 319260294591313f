// The only file that reads the environment; signals are handled by runService.
import './instrumentation';
import { runService } from '@parley/kit';
import { loadConfig } from './config';
import { buildApp } from './app';

runService({ service: 'messaging', argv: process.argv, build: () => buildApp(loadConfig(process.env)) });
