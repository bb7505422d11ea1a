import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { THRESHOLDS } from '../custom/monitoring';
import { Assembly, props } from './assembly';

const sandbox = new Assembly('sandbox');
const monitoring = sandbox.assert('monitoring');
const alarms = () => sandbox.resources('AWS::CloudWatch::Alarm').map((a) => props(a));

const alarmOn = (namespace: string, metricName: string, dimension: RegExp) =>
  alarms().filter(
    (a) => a.Namespace === namespace && a.MetricName === metricName && dimension.test(JSON.stringify(a.Dimensions)),
  );

describe('alarms', () => {
  it('watch AppSync 4XX and 5XX errors and p99 latency', () => {
    expect(alarmOn('AWS/AppSync', '4XXError', /GraphQLAPIId/)).toHaveLength(1);
    expect(alarmOn('AWS/AppSync', '5XXError', /GraphQLAPIId/)).toHaveLength(1);
    const latency = alarmOn('AWS/AppSync', 'Latency', /GraphQLAPIId/);
    expect(latency).toHaveLength(1);
    expect(latency[0]).toMatchObject({ ExtendedStatistic: 'p99', Threshold: THRESHOLDS.appsyncLatencyP99Ms });
  });

  it('watch errors and throttles of every function', () => {
    for (const fn of ['postconfirmation', 'indexer', 'search', 'push', 'conflicthandler']) {
      expect(alarmOn('AWS/Lambda', 'Errors', new RegExp(fn)), fn).toHaveLength(1);
      expect(alarmOn('AWS/Lambda', 'Throttles', new RegExp(fn)), fn).toHaveLength(1);
    }
  });

  it('watch the conflict handler, which every model write under a conflict may invoke', () => {
    const handler = sandbox
      .resources('AWS::Lambda::Function')
      .find((f) => f.logicalId.startsWith('conflicthandlerlambda'));
    expect(handler, 'the conflict-handler function').toBeDefined();
    for (const metricName of ['Errors', 'Throttles']) {
      const [watching] = alarmOn('AWS/Lambda', metricName, /conflicthandler/);
      expect(watching, metricName).toMatchObject({
        Threshold: metricName === 'Errors' ? THRESHOLDS.lambdaErrorsPer5Min : THRESHOLDS.lambdaThrottlesPer5Min,
        AlarmDescription: expect.stringMatching(/conflictHandler/),
      });
    }
    const body = JSON.stringify(props(sandbox.resources('AWS::CloudWatch::Dashboard')[0]).DashboardBody);
    expect(body).toMatch(/conflictHandler: invocations, errors, throttles/);
    expect(body).toMatch(/conflicthandlerlambda/);
  });

  it('watch the iterator age of both stream mappings and the depth of both dead-letter queues', () => {
    expect(alarmOn('AWS/Lambda', 'IteratorAge', /indexer/)).toHaveLength(1);
    expect(alarmOn('AWS/Lambda', 'IteratorAge', /push/)).toHaveLength(1);
    const depth = alarms().filter((a) => a.MetricName === 'ApproximateNumberOfMessagesVisible');
    expect(depth).toHaveLength(2);
    expect(depth.map((a) => JSON.stringify(a.Dimensions)).join()).toMatch(
      /NoteIndexingDeadLetterQueue.*MessagePushDeadLetterQueue/,
    );
  });

  it('notify an encrypted, TLS-only topic', () => {
    for (const alarm of alarms()) {
      expect(alarm.AlarmActions).toEqual([{ Ref: expect.stringMatching(/AlarmTopic/) }]);
      expect(alarm.TreatMissingData).toBe('notBreaching');
    }
    monitoring.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    monitoring.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    monitoring.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('are on one dashboard', () => {
    const dashboards = sandbox.resources('AWS::CloudWatch::Dashboard');
    expect(dashboards).toHaveLength(1);
    const body = JSON.stringify(props(dashboards[0]).DashboardBody);
    for (const metric of [
      '4XXError',
      '5XXError',
      'Latency',
      'IteratorAge',
      'ApproximateNumberOfMessagesVisible',
      'Throttles',
    ]) {
      expect(body, metric).toContain(metric);
    }
  });
});

describe('alarms on the OpenSearch domain the template creates', () => {
  const domain = () => sandbox.resources('AWS::OpenSearchService::Domain')[0];
  const searchAlarms = () => alarms().filter((a) => a.Namespace === 'AWS/ES');

  it('watch cluster health, blocked writes, free storage and JVM pressure of that domain', () => {
    const name = String(props(domain()).DomainName);
    expect(searchAlarms().map((a) => a.MetricName)).toEqual([
      'ClusterStatus.red',
      'ClusterIndexWritesBlocked',
      'FreeStorageSpace',
      'JVMMemoryPressure',
    ]);
    for (const alarm of searchAlarms()) {
      expect(alarm.Dimensions).toEqual(
        expect.arrayContaining([
          { Name: 'DomainName', Value: name },
          { Name: 'ClientId', Value: { Ref: 'AWS::AccountId' } },
        ]),
      );
    }
    expect(searchAlarms().find((a) => a.MetricName === 'FreeStorageSpace')).toMatchObject({
      ComparisonOperator: 'LessThanOrEqualToThreshold',
      Threshold: THRESHOLDS.searchFreeStorageMiB,
    });
  });

  it('are absent when search runs on CloudSearch', () => {
    const configured = new Assembly('configured');
    const onSearch = configured.resources('AWS::CloudWatch::Alarm').filter((a) => props(a).Namespace === 'AWS/ES');
    expect(onSearch).toEqual([]);
  });
});
