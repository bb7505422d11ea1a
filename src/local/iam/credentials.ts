import { createHash, createHmac, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { SignatureError, type SigningSecret, verifySigV4 } from '../storage/sigv4';
import { type Decision, evaluate, type PolicyDocument } from './policy';
import {
  type LocalPrincipal,
  type PrincipalAuthorizer,
  type SignedRequest,
  SignedRequestError,
  type SignedRequestVerifier,
} from './principals';

/**
 * The local credentials that SigV4-authenticated local services accept, and
 * what each may do:
 * - the local admin: a long-term key, random per data folder, kept in a 0600
 *   file there (`admin-credentials.json`), for tests and tools; allowed
 *   everything, like an account's administrator;
 * - one key per function, derived from the admin secret, the function and
 *   its role, so it is stable across restarts and reloads; temporary, as
 *   Lambda's are (a session token), and limited by the role's policies;
 * - the identity pool's credentials, which `src/local/auth` issues.
 */

export interface LocalCredential {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** What the identity pool tells about credentials it issued. */
export interface IssuedIdentity {
  identityId: string;
  roleArn: string;
  authenticated: boolean;
  secretAccessKey: string;
  sessionToken: string;
}

export interface LocalCredentialsOptions {
  /** The admin credential's file; created (mode 0600) when missing. */
  file: string;
  accountId: string;
  region: string;
  identityPoolId?: string;
  /** The running generation's role policies, by role ARN. */
  policies(): ReadonlyMap<string, PolicyDocument[]>;
  /** Credentials the identity pool issued, unexpired. */
  identities?(accessKeyId: string): IssuedIdentity | undefined;
}

interface Known {
  secret: SigningSecret;
  principal: LocalPrincipal;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Access key IDs are 20 characters from A-Z and 2-7, as AWS's are. */
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const base32 = (bytes: Buffer, length: number): string =>
  Array.from({ length }, (_, i) => BASE32[(bytes[i] ?? 0) % 32]).join('');

const readAdmin = (file: string): LocalCredential | undefined => {
  if (!existsSync(file)) return undefined;
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (isRecord(parsed) && typeof parsed.accessKeyId === 'string' && typeof parsed.secretAccessKey === 'string')
      return { accessKeyId: parsed.accessKeyId, secretAccessKey: parsed.secretAccessKey };
  } catch {
    // A torn file (a kill during the first write) gets a new credential.
  }
  return undefined;
};

const writeAdmin = (file: string, credential: LocalCredential, region: string): void => {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ ...credential, region }, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
};

/** `Role` of a role ARN (`arn:aws:iam::000000000000:role/path/Role`). */
const roleName = (roleArn: string): string => roleArn.split('/').at(-1) ?? roleArn;

export class LocalCredentials {
  private readonly adminKey: LocalCredential;
  private readonly functions = new Map<string, Known>();

  constructor(private readonly options: LocalCredentialsOptions) {
    const existing = readAdmin(options.file);
    this.adminKey = existing ?? {
      accessKeyId: `AKIA${base32(randomBytes(16), 16)}`,
      secretAccessKey: randomBytes(30).toString('base64'),
    };
    if (!existing) writeAdmin(options.file, this.adminKey, options.region);
    else chmodSync(options.file, 0o600);
  }

  /** The local admin credential; a copy each time, since the SDK clients annotate the objects they are given. */
  get admin(): LocalCredential {
    return { ...this.adminKey };
  }

  /** The credential a function signs with: derived from its name and role, registered for lookups. */
  forFunction(name: string, roleArn: string | undefined): Required<LocalCredential> {
    const derive = (purpose: string) =>
      createHmac('sha256', this.adminKey.secretAccessKey)
        .update(`${purpose}\0${name}\0${roleArn ?? ''}`)
        .digest();
    const credential = {
      accessKeyId: `ASIA${base32(derive('access-key'), 16)}`,
      secretAccessKey: derive('secret').toString('base64').slice(0, 40),
      sessionToken: Buffer.concat([derive('token'), createHash('sha256').update(name).digest()]).toString('base64'),
    };
    this.functions.set(credential.accessKeyId, {
      secret: { secretAccessKey: credential.secretAccessKey, sessionToken: credential.sessionToken },
      principal: { accessKeyId: credential.accessKeyId, kind: 'function', roleArn, name },
    });
    return credential;
  }

  /** The signing secret and principal of an access key, or undefined for an unknown or expired one. */
  lookup(accessKeyId: string): Known | undefined {
    if (accessKeyId === this.adminKey.accessKeyId)
      return {
        secret: { secretAccessKey: this.adminKey.secretAccessKey },
        principal: { accessKeyId, kind: 'admin', name: 'admin' },
      };
    const fn = this.functions.get(accessKeyId);
    if (fn) return fn;
    const issued = this.options.identities?.(accessKeyId);
    if (!issued) return undefined;
    return {
      secret: { secretAccessKey: issued.secretAccessKey, sessionToken: issued.sessionToken },
      principal: { accessKeyId, kind: 'identity', roleArn: issued.roleArn, name: issued.identityId },
    };
  }

  get region(): string {
    return this.options.region;
  }

  /** The ARN IAM names a principal by in its messages. */
  arnOf(principal: LocalPrincipal): string {
    const account = this.options.accountId;
    if (principal.kind === 'admin') return `arn:aws:iam::${account}:root`;
    const role = roleName(principal.roleArn ?? '');
    const session = principal.kind === 'identity' ? 'CognitoIdentityCredentials' : principal.name;
    return `arn:aws:sts::${account}:assumed-role/${role}/${session}`;
  }

  /** Checks a request's SigV4 signature for a service; the body must be the one signed. */
  readonly verify: SignedRequestVerifier = (request, service) => verifySigned(this, request, service);

  /** IAM's decision under the principal's policies; the admin may do anything. */
  readonly authorize: PrincipalAuthorizer = (principal, request): Decision => {
    if (principal.kind === 'admin') return 'Allow';
    // A key unknown by now (an expired identity) is denied, whatever its principal says.
    const current = this.lookup(principal.accessKeyId);
    if (!current || current.principal.roleArn !== principal.roleArn || !principal.roleArn) return 'ImplicitDeny';
    const context: Record<string, string | undefined> = { ...request.context };
    if (principal.kind === 'identity') {
      const issued = this.options.identities?.(principal.accessKeyId);
      context['cognito-identity.amazonaws.com:sub'] = issued?.identityId;
      context['cognito-identity.amazonaws.com:aud'] = this.options.identityPoolId;
      context['cognito-identity.amazonaws.com:amr'] = issued?.authenticated ? 'authenticated' : 'unauthenticated';
    }
    return evaluate(this.options.policies().get(principal.roleArn) ?? [], {
      action: request.action,
      resource: request.resource,
      context,
    });
  };

  /** IAM's message for a denied request, as the JSON services word it. */
  deniedMessage(principal: LocalPrincipal, action: string, resource: string, decision: Decision): string {
    const why =
      decision === 'ExplicitDeny'
        ? 'with an explicit deny in an identity-based policy'
        : `because no identity-based policy allows the ${action} action`;
    return `User: ${this.arnOf(principal)} is not authorized to perform: ${action} on resource: ${resource} ${why}`;
  }
}

const sha256Hex = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

const INVALID_SIGNATURE =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
const INVALID_TOKEN = 'The security token included in the request is invalid.';

/** The credential scope of an Authorization header or presigned query, for the messages verifySigV4 words for S3. */
const scopeOf = (request: SignedRequest): string[] | undefined => {
  const authorization = request.headers.authorization;
  const text = Array.isArray(authorization) ? authorization.join(',') : (authorization ?? '');
  const credential =
    /Credential=([^,\s]+)/.exec(text)?.[1] ??
    /[?&]X-Amz-Credential=([^&]+)/.exec(request.url)?.[1]?.replaceAll('%2F', '/');
  return credential?.split('/');
};

/**
 * SigV4 as the JSON-protocol services (DynamoDB, Cognito, ...) check it,
 * with their error codes: the S3 verifier does the cryptography, this
 * words its refusals as those services do.
 */
const verifySigned = (credentials: LocalCredentials, request: SignedRequest, service: string): LocalPrincipal => {
  const region = credentials.region;
  const queryAt = request.url.indexOf('?');
  const path = canonicalPath(queryAt < 0 ? request.url : request.url.slice(0, queryAt));
  const query = queryAt < 0 ? '' : request.url.slice(queryAt + 1);
  const bodyHash = sha256Hex(request.body);
  let found: LocalPrincipal | undefined;
  let verified: ReturnType<typeof verifySigV4>;
  try {
    verified = verifySigV4(
      { method: request.method, path, query, headers: request.headers, bodyHash },
      (accessKeyId) => {
        const known = credentials.lookup(accessKeyId);
        found = known?.principal;
        return known?.secret;
      },
      { region, service },
    );
  } catch (error) {
    throw reworded(error, request, { region, service });
  }
  // The signature must cover this very body: no unsigned payloads outside S3.
  if (verified.payloadHash !== bodyHash || !found)
    throw new SignedRequestError('InvalidSignatureException', INVALID_SIGNATURE);
  return found;
};

/**
 * The path as SigV4 canonicalizes it for every service but S3: dot segments
 * and empty ones removed, and each segment of the (already percent-encoded)
 * path encoded once more, so `/functions/arn%3Aaws…` signs as
 * `/functions/arn%253Aaws…`. The JSON services' `/` is unchanged.
 */
const canonicalPath = (path: string): string => {
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const encoded = segments.map((segment) =>
    encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
  );
  return `${path.startsWith('/') ? '/' : ''}${encoded.join('/')}${encoded.length > 0 && path.endsWith('/') ? '/' : ''}`;
};

const reworded = (error: unknown, request: SignedRequest, expected: { region: string; service: string }): Error => {
  if (!(error instanceof SignatureError)) return error instanceof Error ? error : new Error(String(error));
  switch (error.code) {
    case 'AccessDenied':
      if (error.message.startsWith('Anonymous'))
        return new SignedRequestError('MissingAuthenticationTokenException', 'Request is missing Authentication Token');
      if (error.message.startsWith('X-Amz-Date'))
        return new SignedRequestError(
          'IncompleteSignatureException',
          "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
        );
      if (error.message.startsWith('The host'))
        return new SignedRequestError(
          'InvalidSignatureException',
          "'Host' must be a 'SignedHeader' in the AWS Authorization.",
        );
      return new SignedRequestError('InvalidSignatureException', 'Signature expired.');
    case 'InvalidArgument':
      return new SignedRequestError(
        'IncompleteSignatureException',
        "Unsupported AWS 'algorithm' (only AWS4-HMAC-SHA256 for now).",
      );
    case 'AuthorizationHeaderMalformed':
    case 'AuthorizationQueryParametersError': {
      const scope = scopeOf(request);
      if (scope?.length === 5 && scope.every((part) => part.length > 0)) {
        const problems = [
          scope[2] === expected.region ? '' : `Credential should be scoped to a valid region, not '${scope[2]}'. `,
          scope[3] === expected.service
            ? ''
            : `Credential should be scoped to correct service: '${expected.service}'. `,
          scope[4] === 'aws4_request'
            ? ''
            : `Credential should be scoped with a valid terminator: 'aws4_request', not '${scope[4]}'. `,
        ].join('');
        if (problems) return new SignedRequestError('InvalidSignatureException', problems.trim());
      }
      return new SignedRequestError(
        'IncompleteSignatureException',
        "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters, and a Credential of the form keyid/date/region/service/aws4_request.",
      );
    }
    case 'RequestTimeTooSkewed':
      return new SignedRequestError(
        'InvalidSignatureException',
        'Signature expired: the request time is more than 15 minutes away from the current time.',
      );
    case 'InvalidAccessKeyId':
    case 'InvalidToken':
      return new SignedRequestError('UnrecognizedClientException', INVALID_TOKEN);
    default:
      if (error.message.startsWith('The credential scope date'))
        return new SignedRequestError(
          'InvalidSignatureException',
          'Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP.',
        );
      return new SignedRequestError('InvalidSignatureException', INVALID_SIGNATURE);
  }
};
