// zod with `.openapi()` metadata, so one schema both validates a request and documents it.
import { z } from 'zod';
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';

extendZodWithOpenApi(z);

export { z };
