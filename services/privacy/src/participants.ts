import { credentials, type ServiceError } from '@grpc/grpc-js';
import { call, callerMetadata, exportedRecords, type Caller, type InternalTokens } from '@parley/kit';
import { participantV1 } from '@parley/proto';
import type { DeclaredRetention } from './ledger';

/**
 * The services taking part in data-subject requests, by name, with a gRPC client each: the inventory for
 * the data map, and the export stream for access requests.
 */
export class Participants {
  private readonly clients = new Map<string, participantV1.ParticipantServiceClient>();

  constructor(
    directory: Record<string, string>,
    private readonly tokens: InternalTokens,
  ) {
    for (const [name, address] of Object.entries(directory)) {
      this.clients.set(
        name,
        new participantV1.ParticipantServiceClient(address, credentials.createInsecure()),
      );
    }
  }

  get names(): string[] {
    return [...this.clients.keys()];
  }

  private client(name: string) {
    const client = this.clients.get(name);
    if (!client) throw new Error(`unknown privacy participant ${name}`);
    return client;
  }

  async describe(name: string, tenantId: string): Promise<participantV1.DescribeDataResponse> {
    const client = this.client(name);
    return call(
      client,
      client.describeData,
      {},
      {
        metadata: await callerMetadata(this.tokens, {
          tenantId,
          principal: 'service:privacy',
          scopes: ['internal'],
        }),
        timeoutMs: 3_000,
      },
    );
  }

  /**
   * The data map: every participant's inventory as it describes it now; one that cannot be reached is
   * listed unreachable with no categories.
   */
  async dataMap(
    tenantId: string,
  ): Promise<{ participant: string; categories: participantV1.DataCategory[]; reachable: boolean }[]> {
    return Promise.all(
      this.names.map(async (name) => {
        const described = await this.describe(name, tenantId).catch(() => undefined);
        return { participant: name, categories: described?.categories ?? [], reachable: Boolean(described) };
      }),
    );
  }

  /** Every declared category's default retention, from the participants that answer. */
  async declaredRetention(tenantId: string): Promise<DeclaredRetention[]> {
    return (await this.dataMap(tenantId)).flatMap((entry) =>
      retentionOf(entry.participant, entry.categories),
    );
  }

  /**
   * Pulls a subject's records from a participant as they stream in, a message's worth at a time: a page of
   * records, or one record from a participant that sends one per message.
   */
  async *export(
    name: string,
    caller: Caller,
    request: participantV1.ExportSubjectRequest,
  ): AsyncIterable<participantV1.ExportedRecord[]> {
    const stream = this.client(name).exportSubject(request, await callerMetadata(this.tokens, caller), {
      deadline: new Date(Date.now() + 10 * 60_000),
    });
    try {
      for await (const item of stream as AsyncIterable<participantV1.ExportSubjectResponse>)
        yield exportedRecords(item);
    } catch (error) {
      throw new Error(
        `export from ${name} failed: ${(error as ServiceError).details ?? (error as Error).message}`,
      );
    }
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
  }
}

/** "identity=host:port,gateway=host:port" → { identity: 'host:port', ... }. */
export function parseDirectory(value: string): Record<string, string> {
  return Object.fromEntries(
    value
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean)
      .map((entry) => {
        const [name, address] = entry.split('=');
        return [name!.trim(), (address ?? '').trim()];
      }),
  );
}

/** The default retention a participant declares for each of its categories. */
export function retentionOf(
  participant: string,
  categories: participantV1.DataCategory[],
): DeclaredRetention[] {
  return categories.map((category) => ({
    participant,
    category: category.id,
    defaultRetentionDays: category.defaultRetentionDays,
  }));
}
