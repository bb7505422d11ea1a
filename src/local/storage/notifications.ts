import type { CloudAssembly } from '../cloud/assembly';

/**
 * S3 event notifications to Lambda, as the template configures them
 * (`Custom::S3BucketNotifications`, which CDK and Gen 2's storage triggers
 * write, or a bucket's own `NotificationConfiguration`), and the event each
 * function receives: S3's event message structure, version 2.1.
 */

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export interface NotificationSpec {
  /** The bucket's local name. */
  bucket: string;
  /** The logical ID of the function to invoke. */
  functionId: string;
  /** S3 event types such as `s3:ObjectCreated:*` or `s3:ObjectRemoved:Delete`. */
  events: string[];
  prefix?: string;
  suffix?: string;
}

/** What happened to an object, in S3's event names (`ObjectCreated:Put`, `ObjectRemoved:Delete`, ...). */
export interface ObjectEvent {
  bucket: string;
  key: string;
  eventName: string;
  size?: number;
  eTag?: string;
  /** Who made the request: an access key's principal, as S3 reports `userIdentity.principalId`. */
  principalId: string;
  sourceIp: string;
}

const filterRules = (filter: unknown): { prefix?: string; suffix?: string } => {
  const rules =
    isRecord(filter) && isRecord(filter.Key) && Array.isArray(filter.Key.FilterRules) ? filter.Key.FilterRules : [];
  const out: { prefix?: string; suffix?: string } = {};
  for (const rule of rules) {
    if (!isRecord(rule)) continue;
    const name = String(rule.Name).toLowerCase();
    if (name === 'prefix') out.prefix = String(rule.Value);
    if (name === 'suffix') out.suffix = String(rule.Value);
  }
  return out;
};

/** A bucket notification the local mode cannot deliver: the start stops and names it. */
export class UnsupportedNotificationError extends Error {
  override readonly name = 'UnsupportedNotificationError';
}

const specsOf = (bucket: string, configuration: unknown): NotificationSpec[] => {
  for (const kind of ['QueueConfigurations', 'TopicConfigurations', 'EventBridgeConfiguration'])
    if (isRecord(configuration) && configuration[kind] !== undefined)
      throw new UnsupportedNotificationError(
        `bucket ${bucket} sends ${kind.replace(/Configurations?$/, '')} notifications, which the local backend does not run; only Lambda notifications (storage triggers) are supported`,
      );
  const lambdas =
    isRecord(configuration) && Array.isArray(configuration.LambdaFunctionConfigurations)
      ? configuration.LambdaFunctionConfigurations
      : [];
  return lambdas.filter(isRecord).flatMap((entry) => {
    const functionId = String(entry.LambdaFunctionArn ?? entry.Function ?? '')
      .split(':')
      .at(-1);
    if (!functionId) return [];
    const events = Array.isArray(entry.Events) ? entry.Events.map(String) : entry.Event ? [String(entry.Event)] : [];
    return [{ bucket, functionId, events, ...filterRules(entry.Filter) }];
  });
};

/** Every bucket-to-function notification the templates configure, with local bucket names. */
export const notificationSpecsOf = (assembly: CloudAssembly): NotificationSpec[] => [
  ...assembly.resources('Custom::S3BucketNotifications').flatMap(({ stack, properties }) => {
    const props = stack.resolve(properties);
    return isRecord(props) ? specsOf(String(props.BucketName), props.NotificationConfiguration) : [];
  }),
  ...assembly
    .resources('AWS::S3::Bucket')
    .flatMap(({ logicalId, stack, properties }) =>
      properties.NotificationConfiguration
        ? specsOf(String(stack.ref(logicalId)), stack.resolve(properties.NotificationConfiguration))
        : [],
    ),
];

/** Whether a notification wants an event: its type (`s3:ObjectCreated:*` covers every creation) and key filters. */
export const wants = (spec: NotificationSpec, event: ObjectEvent): boolean =>
  spec.bucket === event.bucket &&
  spec.events.some((type) => {
    const wanted = type.replace(/^s3:/, '');
    return wanted.endsWith(':*') ? event.eventName.startsWith(wanted.slice(0, -1)) : wanted === event.eventName;
  }) &&
  (spec.prefix === undefined || event.key.startsWith(spec.prefix)) &&
  (spec.suffix === undefined || event.key.endsWith(spec.suffix));

/** S3's form of a key in an event: URL-encoded, with spaces as `+`. */
const eventKey = (key: string): string => encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');

/** The event a function receives for one object event, as S3 sends it. */
export const s3Event = (event: ObjectEvent, region: string, now: Date = new Date()): { Records: Json[] } => ({
  Records: [
    {
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: region,
      eventTime: now.toISOString(),
      eventName: event.eventName,
      userIdentity: { principalId: event.principalId },
      requestParameters: { sourceIPAddress: event.sourceIp },
      responseElements: { 'x-amz-request-id': 'LOCAL', 'x-amz-id-2': 'LOCAL' },
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: 'local',
        bucket: {
          name: event.bucket,
          ownerIdentity: { principalId: 'LOCAL' },
          arn: `arn:aws:s3:::${event.bucket}`,
        },
        object: {
          key: eventKey(event.key),
          ...(event.size === undefined ? {} : { size: event.size }),
          ...(event.eTag === undefined ? {} : { eTag: event.eTag.replace(/"/g, '') }),
          sequencer: now.getTime().toString(16).toUpperCase().padStart(16, '0'),
        },
      },
    },
  ],
});
