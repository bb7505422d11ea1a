import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** An incoming request as the server received it: the raw path and query, still percent-encoded. */
export interface IncomingSignedRequest {
  method: string;
  /** The path as sent, e.g. `/bucket/media/a%20b.jpg`. */
  path: string;
  /** The query string as sent, without `?`. */
  query: string;
  headers: Record<string, string | string[] | undefined>;
  /**
   * The hex SHA-256 of the body, for services that sign it without an
   * `x-amz-content-sha256` header (AppSync); S3 sends that header instead.
   */
  bodyHash?: string;
}

/** What the signer's access key resolves to. */
export interface SigningSecret {
  secretAccessKey: string;
  /** Temporary credentials must present this token, signed. */
  sessionToken?: string;
}

export interface VerifiedSignature {
  accessKeyId: string;
  /** The payload hash the signature covers: a hex SHA-256 the body must match, or `UNSIGNED-PAYLOAD`. */
  payloadHash: string;
  presigned: boolean;
  /** What a streaming (aws-chunked) body's chunk signatures chain from: the seed signature and its signing key. */
  signing: { signature: string; amzDate: string; scope: string; key: Buffer };
}

/** Why a request was refused, with S3's error code. */
export class SignatureError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 403,
  ) {
    super(message);
    this.name = code;
  }
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const MAX_SKEW_MS = 15 * 60 * 1000;
const MAX_PRESIGN_SECONDS = 7 * 24 * 60 * 60;

/** RFC 3986 encoding, as SigV4 canonicalizes query keys and values. */
const encode = (value: string): string =>
  encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

const decode = (value: string): string => {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new SignatureError('InvalidArgument', 'The query string is not valid percent-encoding.', 400);
  }
};

const sha256Hex = (data: string): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data).digest();

const parseQuery = (query: string): Array<[string, string]> =>
  query
    .split('&')
    .filter((part) => part.length > 0)
    .map((part) => {
      const eq = part.indexOf('=');
      return eq < 0 ? [decode(part), ''] : [decode(part.slice(0, eq)), decode(part.slice(eq + 1))];
    });

const canonicalQuery = (params: Array<[string, string]>): string =>
  params
    .map(([k, v]) => [encode(k), encode(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak === bk ? (av < bv ? -1 : av > bv ? 1 : 0) : ak < bk ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');

const headerValue = (headers: IncomingSignedRequest['headers'], name: string): string | undefined => {
  const value = headers[name];
  if (value === undefined) return undefined;
  return (Array.isArray(value) ? value.join(',') : value).trim().replace(/\s+/g, ' ');
};

/** `20261121T075900Z` as a time, or undefined when malformed. */
const parseAmzDate = (value: string | undefined): number | undefined => {
  const m = value ? /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value) : null;
  if (!m) return undefined;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
};

interface Parts {
  accessKeyId: string;
  scope: { date: string; region: string; service: string };
  signedHeaders: string[];
  signature: string;
  amzDate: string;
  sessionToken: string | undefined;
  payloadHash: string;
  presigned: boolean;
  params: Array<[string, string]>;
}

const parseCredential = (credential: string): Pick<Parts, 'accessKeyId' | 'scope'> => {
  const [accessKeyId, date, region, service, terminator, ...rest] = credential.split('/');
  if (!accessKeyId || !date || !region || !service || terminator !== 'aws4_request' || rest.length > 0) {
    throw new SignatureError('AuthorizationHeaderMalformed', `The credential '${credential}' is malformed.`, 400);
  }
  return { accessKeyId, scope: { date, region, service } };
};

const fromHeader = (request: IncomingSignedRequest, authorization: string): Parts => {
  if (!authorization.startsWith(`${ALGORITHM} `)) {
    throw new SignatureError('InvalidArgument', `Only ${ALGORITHM} signatures are accepted.`, 400);
  }
  const fields = Object.fromEntries(
    authorization
      .slice(ALGORITHM.length + 1)
      .split(',')
      .map((field) => field.trim().split('=', 2) as [string, string]),
  );
  if (!fields.Credential || !fields.SignedHeaders || !fields.Signature) {
    throw new SignatureError('AuthorizationHeaderMalformed', 'The authorization header is malformed.', 400);
  }
  const amzDate = headerValue(request.headers, 'x-amz-date') ?? '';
  return {
    ...parseCredential(fields.Credential),
    signedHeaders: fields.SignedHeaders.split(';'),
    signature: fields.Signature,
    amzDate,
    sessionToken: headerValue(request.headers, 'x-amz-security-token'),
    payloadHash: headerValue(request.headers, 'x-amz-content-sha256') ?? request.bodyHash ?? sha256Hex(''),
    presigned: false,
    params: parseQuery(request.query),
  };
};

const fromQuery = (params: Array<[string, string]>): Parts => {
  const get = (name: string): string | undefined => params.find(([k]) => k === name)?.[1];
  if (get('X-Amz-Algorithm') !== ALGORITHM) {
    throw new SignatureError('InvalidArgument', `Only ${ALGORITHM} signatures are accepted.`, 400);
  }
  const credential = get('X-Amz-Credential');
  const signedHeaders = get('X-Amz-SignedHeaders');
  const signature = get('X-Amz-Signature');
  if (!credential || !signedHeaders || !signature) {
    throw new SignatureError('AuthorizationQueryParametersError', 'The presigned URL is missing parameters.', 400);
  }
  return {
    ...parseCredential(credential),
    signedHeaders: signedHeaders.split(';'),
    signature,
    amzDate: get('X-Amz-Date') ?? '',
    sessionToken: get('X-Amz-Security-Token'),
    payloadHash: 'UNSIGNED-PAYLOAD',
    presigned: true,
    params: params.filter(([k]) => k !== 'X-Amz-Signature'),
  };
};

/**
 * Verifies an AWS Signature Version 4, in the Authorization header or in a
 * presigned URL's query, as S3 does: the canonical request is rebuilt from
 * what arrived, the signing key derived from the secret the access key names,
 * and the signatures compared in constant time. Expired URLs, skewed clocks,
 * unknown keys and missing session tokens are refused. The body is not read
 * here: a caller given a hex `payloadHash` must check the body against it.
 */
export const verifySigV4 = (
  request: IncomingSignedRequest,
  lookup: (accessKeyId: string) => SigningSecret | undefined,
  expected: { region: string; service: string },
  now = Date.now(),
): VerifiedSignature => {
  const authorization = headerValue(request.headers, 'authorization');
  const queryParams = parseQuery(request.query);
  const presigned = queryParams.some(([k]) => k === 'X-Amz-Signature');
  if (!authorization && !presigned) {
    throw new SignatureError('AccessDenied', 'Anonymous requests are not allowed: sign the request with SigV4.');
  }
  const parts = authorization ? fromHeader(request, authorization) : fromQuery(queryParams);

  const signedAt = parseAmzDate(parts.amzDate);
  if (signedAt === undefined) throw new SignatureError('AccessDenied', 'X-Amz-Date is missing or malformed.');
  if (parts.scope.date !== parts.amzDate.slice(0, 8)) {
    throw new SignatureError('SignatureDoesNotMatch', 'The credential scope date does not match X-Amz-Date.');
  }
  if (parts.scope.region !== expected.region || parts.scope.service !== expected.service) {
    throw new SignatureError(
      'AuthorizationHeaderMalformed',
      `The credential scope must be ${expected.region}/${expected.service}, not ${parts.scope.region}/${parts.scope.service}.`,
      400,
    );
  }
  if (parts.presigned) {
    const expires = Number(queryParams.find(([k]) => k === 'X-Amz-Expires')?.[1]);
    if (!Number.isInteger(expires) || expires < 1 || expires > MAX_PRESIGN_SECONDS) {
      throw new SignatureError('AuthorizationQueryParametersError', 'X-Amz-Expires must be 1 to 604800 seconds.', 400);
    }
    if (now > signedAt + expires * 1000) throw new SignatureError('AccessDenied', 'Request has expired.');
  } else if (Math.abs(now - signedAt) > MAX_SKEW_MS) {
    throw new SignatureError(
      'RequestTimeTooSkewed',
      'The difference between the request time and the current time is too large.',
    );
  }
  if (!parts.signedHeaders.includes('host')) {
    throw new SignatureError('AccessDenied', 'The host header must be signed.');
  }

  const secret = lookup(parts.accessKeyId);
  if (!secret) {
    throw new SignatureError('InvalidAccessKeyId', 'The access key does not exist or its credentials have expired.');
  }
  if (secret.sessionToken !== undefined && parts.sessionToken !== secret.sessionToken) {
    throw new SignatureError('InvalidToken', 'The security token is missing or does not match the access key.', 400);
  }

  const canonicalHeaders = parts.signedHeaders
    .map((name) => {
      const value = headerValue(request.headers, name);
      if (value === undefined) throw new SignatureError('SignatureDoesNotMatch', `Signed header ${name} is missing.`);
      return `${name}:${value}\n`;
    })
    .join('');
  const canonicalRequest = [
    request.method.toUpperCase(),
    request.path,
    canonicalQuery(parts.params),
    canonicalHeaders,
    parts.signedHeaders.join(';'),
    parts.payloadHash,
  ].join('\n');
  const scope = `${parts.scope.date}/${parts.scope.region}/${parts.scope.service}/aws4_request`;
  const stringToSign = [ALGORITHM, parts.amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const dateKey = hmac(`AWS4${secret.secretAccessKey}`, parts.scope.date);
  const signingKey = hmac(hmac(hmac(dateKey, parts.scope.region), parts.scope.service), 'aws4_request');
  const expectedSignature = hmac(signingKey, stringToSign);
  const given = Buffer.from(parts.signature, 'hex');
  if (given.length !== expectedSignature.length || !timingSafeEqual(given, expectedSignature)) {
    throw new SignatureError(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided.',
    );
  }
  return {
    accessKeyId: parts.accessKeyId,
    payloadHash: parts.payloadHash,
    presigned: parts.presigned,
    signing: { signature: parts.signature.toLowerCase(), amzDate: parts.amzDate, scope, key: signingKey },
  };
};
