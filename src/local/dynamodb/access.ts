import type { LocalCredentials } from '../iam/credentials';
import { type SignedRequest, SignedRequestError } from '../iam/principals';

/**
 * DynamoDB's authentication and authorization in front of a local DynamoDB:
 * every request is SigV4-signed for `dynamodb`, and each action is
 * authorized on the resources IAM names for it (tables, indexes, streams,
 * in the local account and region that the assembly's ARNs use), with
 * DynamoDB's own errors.
 */

/** An error DynamoDB answers before the operation runs: its full `__type`, message and status. */
export interface DynamoDbRefusal {
  type: string;
  message: string;
  status: number;
}

/** What a request to the HTTP front asks IAM for. */
export type DynamoDbGuard = (request: SignedRequest, operation: string, input: unknown) => DynamoDbRefusal | undefined;

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Operations on one table (and, with IndexName, one of its indexes). */
const TABLE_OPERATIONS = new Set([
  'GetItem',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'Query',
  'Scan',
  'DescribeTable',
  'CreateTable',
  'UpdateTable',
  'DeleteTable',
  'DescribeTimeToLive',
  'UpdateTimeToLive',
  'DescribeContinuousBackups',
  'UpdateContinuousBackups',
]);
/** Operations whose resource is `*` in IAM. */
const ACCOUNT_OPERATIONS = new Set(['ListTables', 'DescribeLimits', 'DescribeEndpoints', 'ListStreams']);
/** The actions a transaction's items need, on each item's table. */
const TRANSACT_ACTIONS: Record<string, string> = {
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  ConditionCheck: 'ConditionCheckItem',
  Get: 'GetItem',
};

/** The (action, resource) pairs one request needs, or undefined when its input names no resource yet. */
export const requiredPermissions = (
  operation: string,
  input: unknown,
  names: { region: string; accountId: string },
): Array<{ action: string; resource: string }> | undefined => {
  const prefix = `arn:aws:dynamodb:${names.region}:${names.accountId}`;
  const table = (name: unknown) => `${prefix}:table/${String(name)}`;
  const body = isRecord(input) ? input : {};
  const single = (action: string, resource: string) => [{ action: `dynamodb:${action}`, resource }];
  if (ACCOUNT_OPERATIONS.has(operation)) return single(operation, '*');
  if (TABLE_OPERATIONS.has(operation)) {
    // Without a table name the request is invalid: DynamoDB's validation answers it.
    if (typeof body.TableName !== 'string' || body.TableName === '') return undefined;
    const index = typeof body.IndexName === 'string' ? `/index/${body.IndexName}` : '';
    return single(operation, `${table(body.TableName)}${index}`);
  }
  if (operation === 'BatchGetItem' || operation === 'BatchWriteItem') {
    if (!isRecord(body.RequestItems)) return undefined;
    return Object.keys(body.RequestItems).map((name) => ({ action: `dynamodb:${operation}`, resource: table(name) }));
  }
  if (operation === 'TransactWriteItems' || operation === 'TransactGetItems') {
    if (!Array.isArray(body.TransactItems)) return undefined;
    return body.TransactItems.flatMap((item) => {
      const [kind, request] = isRecord(item) ? (Object.entries(item)[0] ?? []) : [];
      const action = kind ? TRANSACT_ACTIONS[kind] : undefined;
      if (!action || !isRecord(request)) return [];
      return [{ action: `dynamodb:${action}`, resource: table(request.TableName) }];
    });
  }
  if (operation === 'DescribeStream' || operation === 'GetShardIterator') {
    const stream = streamOf(body.StreamArn, prefix);
    return stream ? single(operation, stream) : undefined;
  }
  if (operation === 'GetRecords') {
    // An iterator that names no stream needs a grant on everything: the store alone could tell which it reads.
    return single(operation, streamOf(iteratorStream(body.ShardIterator), prefix) ?? '*');
  }
  // Anything else needs a grant on everything.
  return single(operation, '*');
};

/**
 * A stream ARN in the assembly's naming. The stores label streams with
 * their creation time and region `ddblocal`; the templates' ARNs (from the
 * assembly reader) use the local region and the label `local`.
 */
const streamOf = (arn: unknown, prefix: string): string | undefined => {
  const table = typeof arn === 'string' ? /:table\/([^/]+)\/stream\/[^/]+$/.exec(arn)?.[1] : undefined;
  return table ? `${prefix}:table/${table}/stream/local` : undefined;
};

/** The stream a shard iterator reads: it carries its stream's ARN, as text or base64url-encoded JSON. */
const iteratorStream = (iterator: unknown): string | undefined => {
  if (typeof iterator !== 'string') return undefined;
  const find = (text: string) => /arn:aws:dynamodb:[^:]*:\d*:table\/[^/]+\/stream\/[^/|"]+/.exec(text)?.[0];
  return find(iterator) ?? find(Buffer.from(iterator, 'base64url').toString('utf8'));
};

const CORAL = 'com.amazon.coral.service#';

/** The guard for a local DynamoDB's HTTP front, checking with the local credentials. */
export const dynamoDbGuard =
  (credentials: LocalCredentials, names: { region: string; accountId: string }): DynamoDbGuard =>
  (request, operation, input) => {
    let principal: ReturnType<LocalCredentials['verify']>;
    try {
      principal = credentials.verify(request, 'dynamodb');
    } catch (error) {
      if (error instanceof SignedRequestError)
        return { type: `${CORAL}${error.code}`, message: error.message, status: error.status };
      throw error;
    }
    if (principal.kind === 'admin') return undefined;
    for (const { action, resource } of requiredPermissions(operation, input, names) ?? []) {
      const decision = credentials.authorize(principal, { action, resource });
      if (decision !== 'Allow')
        return {
          type: `${CORAL}AccessDeniedException`,
          message: credentials.deniedMessage(principal, action, resource, decision),
          status: 400,
        };
    }
    return undefined;
  };
