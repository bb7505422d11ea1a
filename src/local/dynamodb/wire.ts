import http from 'node:http';
import type {
  DeleteItemCommandInput,
  DeleteItemCommandOutput,
  GetItemCommandInput,
  GetItemCommandOutput,
  PutItemCommandInput,
  PutItemCommandOutput,
  QueryCommandInput,
  QueryCommandOutput,
  ScanCommandInput,
  ScanCommandOutput,
  TransactGetItemsCommandInput,
  TransactGetItemsCommandOutput,
  TransactWriteItemsCommandInput,
  TransactWriteItemsCommandOutput,
  UpdateItemCommandInput,
  UpdateItemCommandOutput,
} from '@aws-sdk/client-dynamodb';

/**
 * DynamoDB's JSON protocol, spoken directly to DynamoDB Local over one
 * keep-alive agent: the resolvers' data path. The AWS SDK costs about half a
 * millisecond of CPU per call in middleware, serde and signing, which is most
 * of what a resolver spends outside VTL; AppSync's own data sources do not run
 * the SDK either. Functions, streams and tests keep the real SDK.
 *
 * Items travel in DynamoDB JSON both ways, as AppSync's request templates
 * write them. DynamoDB Local checks that a request carries credentials (their
 * access key and region pick its database file) but cannot check a signature,
 * so the header names the local account and is not signed.
 */

/** The SDK's shapes, which are DynamoDB's JSON shapes, without the SDK's response metadata. */
interface Operations {
  GetItem: [GetItemCommandInput, Omit<GetItemCommandOutput, '$metadata'>];
  PutItem: [PutItemCommandInput, Omit<PutItemCommandOutput, '$metadata'>];
  UpdateItem: [UpdateItemCommandInput, Omit<UpdateItemCommandOutput, '$metadata'>];
  DeleteItem: [DeleteItemCommandInput, Omit<DeleteItemCommandOutput, '$metadata'>];
  Query: [QueryCommandInput, Omit<QueryCommandOutput, '$metadata'>];
  Scan: [ScanCommandInput, Omit<ScanCommandOutput, '$metadata'>];
  TransactWriteItems: [TransactWriteItemsCommandInput, Omit<TransactWriteItemsCommandOutput, '$metadata'>];
  TransactGetItems: [TransactGetItemsCommandInput, Omit<TransactGetItemsCommandOutput, '$metadata'>];
}

/** One element of a TransactionCanceledException's CancellationReasons, as DynamoDB writes it. */
export interface CancellationReason {
  Code?: string;
  Message?: string;
  Item?: Record<string, unknown>;
}

/**
 * An error DynamoDB returned: `name` is its type (`ConditionalCheckFailedException`, `ValidationException`, …);
 * a TransactionCanceledException carries its CancellationReasons, one per item.
 */
export class DynamoDbError extends Error {
  constructor(
    override readonly name: string,
    message: string,
    readonly statusCode: number,
    readonly cancellationReasons?: CancellationReason[],
  ) {
    super(message);
  }
}

/** What the resolvers need of DynamoDB: one operation by name, DynamoDB's JSON in and out. */
export interface DynamoDbCaller {
  call<K extends keyof Operations>(operation: K, input: Operations[K][0]): Promise<Operations[K][1]>;
}

export type { Operations as DynamoDbOperations };

export class DynamoDbWire implements DynamoDbCaller {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  private readonly url: URL;
  private readonly authorization: string;

  constructor(endpoint: string, account: { accessKeyId: string; region: string }) {
    this.url = new URL(endpoint);
    this.authorization = `AWS4-HMAC-SHA256 Credential=${account.accessKeyId}/20200101/${account.region}/dynamodb/aws4_request, SignedHeaders=host, Signature=local`;
  }

  call<K extends keyof Operations>(operation: K, input: Operations[K][0]): Promise<Operations[K][1]> {
    const body = JSON.stringify(input);
    return new Promise((resolve, reject) => {
      const request = http.request(
        {
          host: this.url.hostname,
          port: this.url.port,
          path: '/',
          method: 'POST',
          agent: this.agent,
          headers: {
            'content-type': 'application/x-amz-json-1.0',
            'content-length': Buffer.byteLength(body),
            'x-amz-target': `DynamoDB_20120810.${operation}`,
            authorization: this.authorization,
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: Record<string, unknown>;
            try {
              parsed = text ? JSON.parse(text) : {};
            } catch {
              reject(new DynamoDbError('InternalServerError', `DynamoDB Local answered ${text.slice(0, 200)}`, 500));
              return;
            }
            const status = response.statusCode ?? 500;
            if (status < 300) {
              resolve(parsed as Operations[K][1]);
              return;
            }
            const type = String(parsed.__type ?? 'InternalServerError');
            const message = String(parsed.message ?? parsed.Message ?? `DynamoDB Local answered ${status}`);
            const reasons = Array.isArray(parsed.CancellationReasons) ? parsed.CancellationReasons : undefined;
            reject(new DynamoDbError(type.slice(type.lastIndexOf('#') + 1), message, status, reasons));
          });
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  }

  destroy(): void {
    this.agent.destroy();
  }
}
