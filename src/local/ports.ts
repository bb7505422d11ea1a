import { createServer } from 'node:net';

/**
 * The local services' ports. `npm start` uses fixed defaults, so that
 * amplify_outputs.json, the token issuer (it holds the user pool's URL) and
 * apps built against them stay the same across restarts. The library's own
 * default is 0 (a free port each), which lets tests run side by side.
 */

export const SERVICES = [
  'console',
  'graphql',
  'auth',
  'storage',
  'dynamodb',
  'search',
  'push',
  'ssm',
  'opensearch',
  'rest',
  'sqs',
  'sns',
  'eventbridge',
] as const;
export type LocalService = (typeof SERVICES)[number];
export type LocalPorts = Record<LocalService, number>;

/** Near `amplify mock`'s 20002 (AppSync) and 20005 (S3), outside Linux's ephemeral range. */
export const DEFAULT_PORTS: LocalPorts = {
  console: 20001,
  graphql: 20002,
  auth: 20003,
  storage: 20005,
  dynamodb: 20006,
  search: 20007,
  push: 20008,
  ssm: 20009,
  opensearch: 20010,
  rest: 20011,
  sqs: 20012,
  sns: 20013,
  eventbridge: 20016,
};

export const FREE_PORTS: LocalPorts = {
  console: 0,
  graphql: 0,
  auth: 0,
  storage: 0,
  dynamodb: 0,
  search: 0,
  push: 0,
  ssm: 0,
  opensearch: 0,
  rest: 0,
  sqs: 0,
  sns: 0,
  eventbridge: 0,
};

/** What each port serves, for `--help` and the errors below. */
export const SERVICE_DESCRIPTIONS: Record<LocalService, string> = {
  console: 'the local console (users, data, files, logs, GraphQL explorer, functions)',
  graphql: 'AppSync: HTTPS /graphql and the realtime WebSocket',
  auth: 'Cognito user pool and identity pool',
  storage: 'S3 (HTTPS)',
  dynamodb: "DynamoDB's HTTP API (functions, tools)",
  search: 'CloudSearch document and search endpoint',
  push: "SendMessages (Pinpoint's API)",
  ssm: 'SSM Parameter Store (what functions resolve at init)',
  opensearch: 'OpenSearch (when the template creates a domain)',
  rest: 'API Gateway REST APIs (HTTPS /restapis/<api>/<stage>/)',
  sqs: "SQS (the template's queues)",
  sns: "SNS (the template's topics and subscriptions)",
  eventbridge: 'EventBridge PutEvents (event buses and event-pattern rules)',
};

/** The command-line flag that sets a service's port. */
export const portFlag = (service: LocalService): string => `--${service}-port`;

export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  constructor(
    readonly service: LocalService,
    readonly port: number,
  ) {
    super(
      `port ${port} (${service}: ${SERVICE_DESCRIPTIONS[service]}) is in use. ` +
        `Stop what uses it, or choose another port with ${portFlag(service)}=<port> ` +
        `(or "amplifyLocal": { "ports": { "${service}": <port> } } in package.json; 0 picks a free one).`,
    );
  }
}

const isAddressInUse = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && 'code' in error && error.code === 'EADDRINUSE';

/** Binds and releases a port on 127.0.0.1: resolves false if something else holds it. */
const isFree = (port: number): Promise<boolean> =>
  new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error) => (isAddressInUse(error) ? resolve(false) : reject(error)));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });

/**
 * Checks every fixed port before anything starts (0 means a free one and is
 * not checked), so that a taken port fails at once with a message that names
 * it and its flag, not halfway through the start.
 */
export const assertPortsFree = async (ports: LocalPorts): Promise<void> => {
  for (const service of SERVICES) {
    const port = ports[service];
    if (port !== 0 && !(await isFree(port))) throw new PortInUseError(service, port);
  }
};

/** A port from a flag, the environment or a config file: an integer 0–65535. */
export const parsePort = (value: unknown, where: string): number => {
  const port =
    typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`${where}: "${String(value)}" is not a port (an integer from 0 to 65535; 0 picks a free one)`);
  return port;
};

/**
 * The ports `npm start` uses: the defaults, then `amplifyLocal.ports` from
 * package.json, then the flags. Unknown services in the config are refused.
 */
export const resolvePorts = (config: unknown, flags: Partial<Record<LocalService, string>>): LocalPorts => {
  const ports: LocalPorts = { ...DEFAULT_PORTS };
  if (config !== undefined) {
    if (typeof config !== 'object' || config === null || Array.isArray(config))
      throw new Error('package.json amplifyLocal.ports: expected an object such as { "graphql": 20002 }');
    for (const [service, value] of Object.entries(config)) {
      if (!isService(service))
        throw new Error(
          `package.json amplifyLocal.ports: unknown service "${service}" (known: ${SERVICES.join(', ')})`,
        );
      ports[service] = parsePort(value, `package.json amplifyLocal.ports.${service}`);
    }
  }
  for (const service of SERVICES) {
    const flag = flags[service];
    if (flag !== undefined) ports[service] = parsePort(flag, portFlag(service));
  }
  return ports;
};

const isService = (name: string): name is LocalService => (SERVICES as readonly string[]).includes(name);

/** A port that is free now, for a service whose URL must be known before it starts. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
