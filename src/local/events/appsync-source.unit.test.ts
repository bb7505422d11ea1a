import { describe, expect, it } from 'vitest';
import { appSyncEventBridgeSource } from './appsync-source';
import { type Delivery, LocalEventBridge } from './bus';
import { parseEventPattern } from './pattern';

const ACCOUNT = { region: 'us-east-1', accountId: '000000000000' };
const BUS = 'arn:aws:events:us-east-1:000000000000:event-bus/orders';
const ROLE = 'arn:aws:iam::000000000000:role/appsyncEventsRole';

const harness = () => {
  const deliveries: Delivery[] = [];
  const bridge = new LocalEventBridge({
    account: ACCOUNT,
    config: () => ({
      buses: new Set(['default', 'orders']),
      rules: [
        {
          logicalId: 'R',
          name: 'r',
          arn: 'arn:aws:events:us-east-1:000000000000:rule/orders/r',
          bus: 'orders',
          pattern: parseEventPattern('{"source": ["app"]}'),
          enabled: true,
          targets: [{ id: 'T', functionId: 'fn', transform: {}, maximumRetryAttempts: 185, maximumEventAgeMs: 1 }],
        },
      ],
    }),
    deliver: (d) => deliveries.push(d),
  });
  const allowedCalls: string[] = [];
  const source = appSyncEventBridgeSource(bridge, (roleArn, action, resource) => {
    allowedCalls.push(`${roleArn} ${action} ${resource}`);
    return roleArn === ROLE && action === 'events:PutEvents' && resource === BUS;
  });
  return { source, deliveries, allowedCalls };
};

describe("AppSync's EventBridge data source", () => {
  it("puts a resolver's events on its bus and answers PutEvents' result", () => {
    // Prepare
    const { source, deliveries } = harness();
    // Act
    const { result, error } = source({
      eventBusArn: BUS,
      serviceRoleArn: ROLE,
      request: { operation: 'PutEvents', events: [{ source: 'app', detailType: 'Thing', detail: { n: 1 } }] },
    });
    // Assess
    expect(error).toBeUndefined();
    expect(result).toEqual({ FailedEntryCount: 0, Entries: [{ EventId: deliveries[0]?.event.id }] });
    expect(deliveries[0]?.event).toMatchObject({ source: 'app', 'detail-type': 'Thing', detail: { n: 1 } });
  });

  it('refuses another operation, a bad events list, and a role that may not put on the bus', () => {
    // Prepare
    const { source, deliveries } = harness();
    const event = { source: 'app', detailType: 'Thing', detail: {} };
    // Act
    const wrongOperation = source({ eventBusArn: BUS, serviceRoleArn: ROLE, request: { operation: 'Invoke' } });
    const tooMany = source({
      eventBusArn: BUS,
      serviceRoleArn: ROLE,
      request: { operation: 'PutEvents', events: Array(11).fill(event) },
    });
    const denied = source({
      eventBusArn: BUS,
      serviceRoleArn: 'arn:aws:iam::000000000000:role/other',
      request: { operation: 'PutEvents', events: [event] },
    });
    // Assess
    expect(wrongOperation.error?.type).toBe('ValidationException');
    expect(tooMany.error?.type).toBe('ValidationException');
    expect(denied.error?.type).toBe('AccessDeniedException');
    expect(deliveries).toHaveLength(0);
  });

  it("reports an entry's own error in the result, as PutEvents does", () => {
    const { source } = harness();
    const { result } = source({
      eventBusArn: BUS,
      serviceRoleArn: ROLE,
      request: { operation: 'PutEvents', events: [{ source: 'app', detail: {} }] },
    });
    expect(result).toMatchObject({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InvalidArgument' }] });
  });
});
