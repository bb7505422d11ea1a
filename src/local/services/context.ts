import type { LocalCredentials } from '../iam/credentials';
import type { LocalPorts } from '../ports';
import type { LocalTls } from '../tls';

/** What every local service may use: where data lives, its port, the credentials it checks, the local CA. */
export interface ServiceContext {
  dataDir: string;
  ports: LocalPorts;
  credentials: LocalCredentials;
  tls: LocalTls;
}

/** SigV4 and IAM for a service's requests, as the running generation's policies decide. */
export const accessOf = (credentials: LocalCredentials) => ({
  verify: credentials.verify,
  authorize: credentials.authorize,
  arnOf: (principal: Parameters<LocalCredentials['arnOf']>[0]) => credentials.arnOf(principal),
});
