import { CfnResource, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { BackendConfig } from './config';

/** Alarm thresholds, in one place so that the tests and the docs can name them. */
export const THRESHOLDS = {
  appsync4xxPer5Min: 50,
  appsync5xxPer5Min: 1,
  appsyncLatencyP99Ms: 1000,
  lambdaErrorsPer5Min: 1,
  lambdaThrottlesPer5Min: 1,
  iteratorAgeMs: 60_000,
  deadLetterMessages: 1,
  searchFreeStorageMiB: 2048,
  searchJvmMemoryPressurePercent: 85,
  rest4xxPer5Min: 100,
  rest5xxPer5Min: 1,
  restLatencyP99Ms: 1500,
} as const;

export interface MonitoringProps {
  graphqlApiId: string;
  functions: Record<string, IFunction>;
  streamConsumers: Record<string, { fn: IFunction; deadLetterQueue: IQueue }>;
  /** Who hears about alarms: an e-mail subscription and/or an existing topic. */
  notify: BackendConfig['alarms'];
  /** The OpenSearch domain's name, when the template creates one. */
  openSearchDomainName?: string;
  /** The REST API's name and stage (API Gateway's metric dimensions). */
  restApi?: { apiName: string; stage: string };
}

const FIVE_MINUTES = Duration.minutes(5);

/** A dashboard and alarms for the API, every function, both stream mappings, their dead-letter queues and the search domain. */
export class Monitoring extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const key = new Key(this, 'AlarmTopicKey', {
      enableKeyRotation: true,
      description: 'Encrypts the alarm topic',
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // CloudWatch must be able to publish to the encrypted topic.
    key.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    this.topic = new Topic(this, 'AlarmTopic', { masterKey: key, enforceSSL: true, displayName: 'Backend alarms' });
    if (props.notify.email) this.topic.addSubscription(new EmailSubscription(props.notify.email));
    const actions = [new SnsAction(this.topic)];
    if (props.notify.topicArn) {
      actions.push(new SnsAction(Topic.fromTopicArn(this, 'ExistingAlarmTopic', props.notify.topicArn)));
    }

    const appsync = (metricName: string, statistic: string): Metric =>
      new Metric({
        namespace: 'AWS/AppSync',
        metricName,
        dimensionsMap: { GraphQLAPIId: props.graphqlApiId },
        statistic,
        period: FIVE_MINUTES,
      });
    const alarm = (
      alarmId: string,
      metric: IMetric,
      threshold: number,
      description: string,
      evaluationPeriods = 1,
      comparisonOperator = ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    ) => {
      const created = new Alarm(this, alarmId, {
        metric,
        threshold,
        evaluationPeriods,
        comparisonOperator,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      created.addAlarmAction(...actions);
      this.alarms.push(created);
      return created;
    };

    const api4xx = appsync('4XXError', 'Sum');
    const api5xx = appsync('5XXError', 'Sum');
    const apiLatency = appsync('Latency', 'p99');
    alarm('Api4xxErrors', api4xx, THRESHOLDS.appsync4xxPer5Min, 'Many client errors on the GraphQL API');
    alarm('Api5xxErrors', api5xx, THRESHOLDS.appsync5xxPer5Min, 'Server errors on the GraphQL API');
    alarm('ApiLatencyP99', apiLatency, THRESHOLDS.appsyncLatencyP99Ms, 'GraphQL p99 latency is high', 3);

    const dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    // Amplify tags every resource; cfn-lint's resource spec (1.51) has no Tags on a dashboard, and they serve nothing.
    const cfnDashboard = dashboard.node.defaultChild;
    if (cfnDashboard instanceof CfnResource) cfnDashboard.addPropertyDeletionOverride('Tags');
    dashboard.addWidgets(
      new GraphWidget({ title: 'GraphQL errors', left: [api4xx, api5xx], width: 12 }),
      new GraphWidget({ title: 'GraphQL latency p99 (ms)', left: [apiLatency], width: 12 }),
    );

    if (props.restApi) {
      const { apiName, stage } = props.restApi;
      const rest = (metricName: string, statistic: string): Metric =>
        new Metric({
          namespace: 'AWS/ApiGateway',
          metricName,
          dimensionsMap: { ApiName: apiName, Stage: stage },
          statistic,
          period: FIVE_MINUTES,
        });
      const rest4xx = rest('4XXError', 'Sum');
      const rest5xx = rest('5XXError', 'Sum');
      const restLatency = rest('Latency', 'p99');
      alarm('Rest4xxErrors', rest4xx, THRESHOLDS.rest4xxPer5Min, 'Many client errors on the REST API');
      alarm('Rest5xxErrors', rest5xx, THRESHOLDS.rest5xxPer5Min, 'Server errors on the REST API');
      alarm('RestLatencyP99', restLatency, THRESHOLDS.restLatencyP99Ms, 'REST p99 latency is high', 3);
      dashboard.addWidgets(
        new GraphWidget({
          title: 'REST requests and errors',
          left: [rest('Count', 'Sum'), rest4xx, rest5xx],
          width: 12,
        }),
        new GraphWidget({
          title: 'REST latency p99 (ms)',
          left: [restLatency, rest('IntegrationLatency', 'p99')],
          width: 12,
        }),
      );
    }

    for (const [name, fn] of Object.entries(props.functions)) {
      const errors = fn.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' });
      const throttles = fn.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum' });
      alarm(`${name}Errors`, errors, THRESHOLDS.lambdaErrorsPer5Min, `The ${name} function is failing`);
      alarm(`${name}Throttles`, throttles, THRESHOLDS.lambdaThrottlesPer5Min, `The ${name} function is throttled`);
      dashboard.addWidgets(
        new GraphWidget({
          title: `${name}: invocations, errors, throttles`,
          left: [fn.metricInvocations(), errors, throttles],
          width: 12,
        }),
        new GraphWidget({ title: `${name}: duration p99`, left: [fn.metricDuration({ statistic: 'p99' })], width: 12 }),
      );
    }

    if (props.openSearchDomainName) {
      const search = (metricName: string, statistic: string): Metric =>
        new Metric({
          namespace: 'AWS/ES',
          metricName,
          dimensionsMap: { DomainName: props.openSearchDomainName ?? '', ClientId: Stack.of(this).account },
          statistic,
          period: FIVE_MINUTES,
        });
      const red = search('ClusterStatus.red', 'Maximum');
      const writesBlocked = search('ClusterIndexWritesBlocked', 'Maximum');
      const freeStorage = search('FreeStorageSpace', 'Minimum');
      const jvm = search('JVMMemoryPressure', 'Maximum');
      alarm('SearchClusterRed', red, 1, 'The OpenSearch domain has unassigned primary shards (status red)');
      alarm('SearchWritesBlocked', writesBlocked, 1, 'The OpenSearch domain is blocking index writes');
      alarm(
        'SearchFreeStorage',
        freeStorage,
        THRESHOLDS.searchFreeStorageMiB,
        'The OpenSearch domain is low on disk',
        1,
        ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD,
      );
      alarm(
        'SearchJvmPressure',
        jvm,
        THRESHOLDS.searchJvmMemoryPressurePercent,
        'OpenSearch JVM memory pressure is high',
        3,
      );
      dashboard.addWidgets(
        new GraphWidget({ title: 'search: cluster red, writes blocked', left: [red, writesBlocked], width: 12 }),
        new GraphWidget({
          title: 'search: free storage (MiB), JVM pressure (%)',
          left: [freeStorage],
          right: [jvm],
          width: 12,
        }),
      );
    }

    for (const [name, consumer] of Object.entries(props.streamConsumers)) {
      const iteratorAge = new Metric({
        namespace: 'AWS/Lambda',
        metricName: 'IteratorAge',
        dimensionsMap: { FunctionName: consumer.fn.functionName },
        statistic: 'Maximum',
        period: FIVE_MINUTES,
      });
      const depth = consumer.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: FIVE_MINUTES,
        statistic: 'Maximum',
      });
      alarm(
        `${name}IteratorAge`,
        iteratorAge,
        THRESHOLDS.iteratorAgeMs,
        `The ${name} stream mapping is falling behind`,
      );
      alarm(
        `${name}DeadLetters`,
        depth,
        THRESHOLDS.deadLetterMessages,
        `Records of the ${name} stream failed for good`,
      );
      dashboard.addWidgets(
        new GraphWidget({ title: `${name}: iterator age (ms)`, left: [iteratorAge], width: 12 }),
        new GraphWidget({ title: `${name}: dead-letter queue depth`, left: [depth], width: 12 }),
      );
    }
  }
}
