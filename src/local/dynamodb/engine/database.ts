import { DatabaseError } from './errors';
import type { Journal } from './journal';
import { batchGet, batchWrite, deleteItem, getItem, putItem, updateItem } from './operations/items';
import { query, scan } from './operations/queries';
import { describeStream, getRecords, getShardIterator, listStreams } from './operations/streams';
import { createTable, deleteTable, describe, listTables, updateTable } from './operations/tables';
import { transactGet, transactWrite } from './operations/transactions';
import { expire, updateTimeToLive } from './operations/ttl';
import { Store } from './storage';
import { type Json, rec } from './types';

/**
 * An in-process DynamoDB: tables with their keys and secondary indexes, the
 * item operations with DynamoDB's expressions, validation and messages,
 * streams of NEW_AND_OLD_IMAGES records, and a journal that makes every
 * acknowledged write survive a crash of the process. Requests and responses
 * are DynamoDB's JSON shapes, so `call` answers what DynamoDB Local answers
 * for the same request; `../embedded.ts` serves the same over DynamoDB's HTTP
 * protocol to the AWS SDK. Checked against DynamoDB Local by
 * `database.integration.test.ts`.
 *
 * Items are frozen when stored and handed out as they are: callers read them
 * and never change them.
 *
 * The layers: this dispatch, then `operations/` (each operation's request
 * checks and DynamoDB's messages), `expressions/` and `legacy.ts`, then
 * `storage.ts` (tables, orderings in `indexes.ts`, stream records) over the
 * `journal.ts`.
 */

export { DatabaseError } from './errors';
export type { StreamRecord, TableDefinition } from './types';

const EXPIRY_INTERVAL_MS = 1000;

export class Database {
  private readonly store: Store;
  /** When TTL last deleted what had expired. */
  private expiredAt = Number.NEGATIVE_INFINITY;

  constructor(journal?: Journal, options: { clock?: () => number } = {}) {
    this.store = new Store(journal, options.clock ?? Date.now);
  }

  /** One DynamoDB or DynamoDB Streams operation, by its name, with its JSON input. */
  call(operation: string, input: unknown): Promise<Json> {
    try {
      return Promise.resolve(this.execute(operation, rec(input) ?? {}));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** The same, synchronously. */
  execute(operation: string, input: Json): Json {
    if (this.store.clock() - this.expiredAt >= EXPIRY_INTERVAL_MS) this.expire();
    switch (operation) {
      case 'CreateTable':
        return createTable(this.store, input);
      case 'DescribeTable':
        return { Table: describe(this.store.table(input.TableName)) };
      case 'ListTables':
        return listTables(this.store, input);
      case 'UpdateTable':
        return updateTable(this.store, input);
      case 'DeleteTable':
        return deleteTable(this.store, input);
      case 'UpdateTimeToLive':
        return updateTimeToLive(this.store, input);
      case 'DescribeTimeToLive': {
        const table = this.store.table(input.TableName);
        return { TimeToLiveDescription: table.ttl ?? { TimeToLiveStatus: 'DISABLED' } };
      }
      case 'PutItem':
        return putItem(this.store, input);
      case 'GetItem':
        return getItem(this.store, input);
      case 'UpdateItem':
        return updateItem(this.store, input);
      case 'DeleteItem':
        return deleteItem(this.store, input);
      case 'Query':
        return query(this.store, input);
      case 'Scan':
        return scan(this.store, input);
      case 'BatchGetItem':
        return batchGet(this.store, input);
      case 'BatchWriteItem':
        return batchWrite(this.store, input);
      case 'TransactWriteItems':
        return transactWrite(this.store, input);
      case 'TransactGetItems':
        return transactGet(this.store, input);
      case 'ListStreams':
        return listStreams(this.store, input);
      case 'DescribeStream':
        return describeStream(this.store, input);
      case 'GetShardIterator':
        return getShardIterator(this.store, input);
      case 'GetRecords':
        return getRecords(this.store, input);
      default:
        throw new DatabaseError(
          'UnknownOperationException',
          `The embedded DynamoDB does not implement ${operation}; start the backend with DynamoDB Local (--dynamodb=local) for it`,
        );
    }
  }

  /** Deletes what TTL has expired (`operations/ttl.ts`): before an operation at most once a second, and when called. */
  expire(): number {
    const now = this.store.clock();
    this.expiredAt = now;
    return expire(this.store, now);
  }
}
