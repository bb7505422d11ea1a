import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '../shared/signed-http';
import { type Caller, HttpError, uploadKeyOf } from './core';

/**
 * A presigned PUT under the caller's own media path, signed with the
 * caller's own identity-pool credentials: the storage definition's IAM rule
 * (`media/{entity_id}/*`) decides, and this function holds no S3 permission.
 */

export interface UploadSettings {
  region: string;
  identityPoolId: string;
  bucketName: string;
  /** Set locally (`AWS_ENDPOINT_URL_*`); the public endpoints otherwise. */
  cognitoIdentityEndpoint?: string;
  s3Endpoint?: string;
  expiresInSeconds: number;
}

const identityCall = async (
  settings: UploadSettings,
  target: string,
  body: unknown,
): Promise<Record<string, unknown>> => {
  const endpoint = settings.cognitoIdentityEndpoint ?? `https://cognito-identity.${settings.region}.amazonaws.com/`;
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AWSCognitoIdentityService.${target}` },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(5_000),
  });
  const parsed: unknown = await response.json().catch(() => ({}));
  const answer = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  if (response.status === 400 && String(answer.__type ?? '').includes('TooManyRequests'))
    throw new HttpError('TooManyRequests', 'Too many requests; retry with backoff.');
  if (!response.ok) throw new HttpError('InternalError', `The identity pool refused ${target}.`);
  return answer;
};

/** A presigned S3 PUT of one key (path-style on a local endpoint, virtual-hosted in the cloud). */
export const presignPut = async (
  settings: Pick<UploadSettings, 'region' | 'bucketName' | 's3Endpoint' | 'expiresInSeconds'>,
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string },
  key: string,
  now: Date,
): Promise<string> => {
  const encodedKey = key.split('/').map(encodeURIComponent).join('/');
  const local = settings.s3Endpoint ? new URL(settings.s3Endpoint) : undefined;
  const hostname = local ? local.hostname : `${settings.bucketName}.s3.${settings.region}.amazonaws.com`;
  const path = local ? `/${settings.bucketName}/${encodedKey}` : `/${encodedKey}`;
  // S3's own rules: the path is encoded once, and a presigned URL's payload is UNSIGNED-PAYLOAD.
  const signer = new SignatureV4({
    service: 's3',
    region: settings.region,
    sha256: Sha256,
    uriEscapePath: false,
    credentials,
  });
  const contentSha = 'x-amz-content-sha256';
  const signed = await signer.presign(
    {
      method: 'PUT',
      protocol: local?.protocol ?? 'https:',
      hostname,
      port: local?.port ? Number(local.port) : undefined,
      path,
      query: {},
      headers: { host: local ? local.host : hostname, [contentSha]: 'UNSIGNED-PAYLOAD' },
    },
    {
      expiresIn: settings.expiresInSeconds,
      signingDate: now,
      unsignableHeaders: new Set([contentSha]),
      unhoistableHeaders: new Set([contentSha]),
    },
  );
  const query = Object.entries(signed.query ?? {})
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(String(value))}`)
    .join('&');
  return `${local ? local.origin : `https://${hostname}`}${path}?${query}`;
};

export const createUploadUrl = async (
  settings: UploadSettings,
  caller: Caller,
  fileName: string,
  now = new Date(),
): Promise<{ url: string; key: string; method: 'PUT'; expiresAt: string }> => {
  const logins = { [caller.provider]: caller.idToken };
  const { IdentityId } = await identityCall(settings, 'GetId', {
    IdentityPoolId: settings.identityPoolId,
    Logins: logins,
  });
  const identityId = String(IdentityId ?? '');
  const { Credentials } = await identityCall(settings, 'GetCredentialsForIdentity', {
    IdentityId: identityId,
    Logins: logins,
  });
  const credentials = typeof Credentials === 'object' && Credentials !== null ? Credentials : {};
  const key = uploadKeyOf(identityId, fileName);
  const url = await presignPut(
    settings,
    {
      accessKeyId: String(Reflect.get(credentials, 'AccessKeyId') ?? ''),
      secretAccessKey: String(Reflect.get(credentials, 'SecretKey') ?? ''),
      sessionToken: String(Reflect.get(credentials, 'SessionToken') ?? ''),
    },
    key,
    now,
  );
  return {
    url,
    key,
    method: 'PUT',
    expiresAt: new Date(now.getTime() + settings.expiresInSeconds * 1000).toISOString(),
  };
};
