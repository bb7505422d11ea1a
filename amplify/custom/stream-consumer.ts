import { Duration, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { EventSourceMapping, type IEventSourceDlq, type IFunction, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** The settings every stream mapping here shares. */
export const STREAM_MAPPING_DEFAULTS = {
  retryAttempts: 3,
  maxRecordAgeHours: 24,
  parallelizationFactor: 1,
} as const;

export interface StreamConsumerProps {
  table: ITable;
  fn: IFunction;
  batchSize: number;
  /** How long Lambda gathers records before it invokes the function. */
  maxBatchingWindow: Duration;
  /** Only stream events of these names reach the function. */
  eventNames?: Array<'INSERT' | 'MODIFY' | 'REMOVE'>;
}

/**
 * A DynamoDB stream → Lambda mapping that never drops a record silently: the
 * function reports per-record failures, a failing batch is bisected to find
 * the bad record, retries are bounded, and what still fails is recorded in a
 * dead-letter queue.
 */
export class StreamConsumer extends Construct {
  readonly deadLetterQueue: Queue;
  readonly mapping: EventSourceMapping;

  constructor(scope: Construct, id: string, props: StreamConsumerProps) {
    super(scope, id);
    const streamArn = props.table.tableStreamArn;
    if (!streamArn) throw new Error(`${id}: the table has no stream to consume`);

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "This queue is itself the stream mapping's on-failure destination; cdk-nag only recognises redrive-policy dead-letter queues.",
    });
    const onFailure: IEventSourceDlq = new SqsDlq(this.deadLetterQueue);

    // Named on the stream alone (not dynamodb:* or Resource "*").
    props.fn.addToRolePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: [
          'dynamodb:DescribeStream',
          'dynamodb:GetRecords',
          'dynamodb:GetShardIterator',
          'dynamodb:ListStreams',
        ],
        resources: [streamArn],
      }),
    );

    this.mapping = new EventSourceMapping(this, 'Mapping', {
      target: props.fn,
      eventSourceArn: streamArn,
      startingPosition: StartingPosition.TRIM_HORIZON,
      batchSize: props.batchSize,
      maxBatchingWindow: props.maxBatchingWindow,
      reportBatchItemFailures: true,
      bisectBatchOnError: true,
      retryAttempts: STREAM_MAPPING_DEFAULTS.retryAttempts,
      maxRecordAge: Duration.hours(STREAM_MAPPING_DEFAULTS.maxRecordAgeHours),
      parallelizationFactor: STREAM_MAPPING_DEFAULTS.parallelizationFactor,
      onFailure,
      filters: props.eventNames ? [{ pattern: JSON.stringify({ eventName: props.eventNames }) }] : undefined,
    });
    // The mapping must not start before the role may read the stream.
    if (props.fn.role) this.mapping.node.addDependency(props.fn.role);
  }
}
