import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { dirname, resolve } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { LocalBackend } from './backend';

/**
 * Seed data for a fresh local backend, from a JSON file:
 *
 *   {
 *     "users":   [{ "email": "a@example.com", "password": "…", "groups": ["<group>"], "attributes": { "name": "A" } }],
 *     "records": { "<Model>": [{ "owner": "a@example.com", "<field>": "…" }] },
 *     "files":   [{ "path": "<prefix>/{identityId}/hello.txt", "owner": "a@example.com", "text": "hi" },
 *                 { "path": "<prefix>/logo.png", "file": "./logo.png", "contentType": "image/png" }]
 *   }
 *
 * Users sign up and confirm as an app's users do (so the post-confirmation
 * trigger runs), then join their groups. Each record is created through the
 * GraphQL API as its owner (`create<Model>`), so the resolvers set the owner
 * and the sync fields and DataStore sees it by sync and subscription. A
 * record without an owner is created as the first seed user. Files are put
 * into the default bucket (or `bucket`, by its outputs name); `{identityId}`
 * in a path is the owner's identity-pool id. `file` is relative to the seed
 * file. Every problem names its entry (`records.<Model>[2]: …`).
 */

/** Written into the data folder once a seed has been applied to it. */
export const SEED_MARKER = 'seeded.json';

export class SeedError extends Error {
  override readonly name = 'SeedError';
}

interface SeedUser {
  email: string;
  password: string;
  groups: string[];
  attributes: Record<string, string>;
}

interface SeedRecord {
  owner?: string;
  fields: Record<string, unknown>;
}

interface SeedFileEntry {
  path: string;
  owner?: string;
  bucket?: string;
  body: Buffer;
  contentType?: string;
}

export interface Seed {
  users: SeedUser[];
  records: Array<{ model: string; entries: SeedRecord[] }>;
  files: SeedFileEntry[];
}

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const text = (value: unknown, at: string): string => {
  if (typeof value !== 'string' || value === '') throw new SeedError(`${at}: must be a non-empty string`);
  return value;
};

const optionalText = (value: unknown, at: string): string | undefined =>
  value === undefined ? undefined : text(value, at);

/** Reads and checks a seed file; `file` entries are resolved against its folder. */
export const readSeed = (file: string): Seed => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new SeedError(`${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    return parseSeed(parsed, dirname(resolve(file)));
  } catch (error) {
    if (error instanceof SeedError) throw new SeedError(`${file}: ${error.message}`);
    throw error;
  }
};

export const parseSeed = (value: unknown, baseDir: string): Seed => {
  if (!isRecord(value)) throw new SeedError('the seed must be a JSON object with users, records and files');
  for (const key of Object.keys(value))
    if (!['users', 'records', 'files'].includes(key))
      throw new SeedError(`${key}: unknown key (a seed has users, records and files)`);
  const list = (key: string): unknown[] => {
    const found = value[key];
    if (found === undefined) return [];
    if (!Array.isArray(found)) throw new SeedError(`${key}: must be a list`);
    return found;
  };
  const users = list('users').map((entry, i): SeedUser => {
    const at = `users[${i}]`;
    if (!isRecord(entry)) throw new SeedError(`${at}: must be an object`);
    const groups = entry.groups ?? [];
    if (!Array.isArray(groups)) throw new SeedError(`${at}.groups: must be a list of group names`);
    const attributes = entry.attributes ?? {};
    if (!isRecord(attributes)) throw new SeedError(`${at}.attributes: must be an object of strings`);
    return {
      email: text(entry.email, `${at}.email`),
      password: text(entry.password, `${at}.password`),
      groups: groups.map((g, j) => text(g, `${at}.groups[${j}]`)),
      attributes: Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, text(v, `${at}.attributes.${k}`)])),
    };
  });
  const emails = new Set(users.map((u) => u.email));
  const known = (owner: string | undefined, at: string): string | undefined => {
    if (owner !== undefined && !emails.has(owner))
      throw new SeedError(`${at}.owner: ${owner} is not one of the seed's users`);
    return owner;
  };
  const recordsValue = value.records ?? {};
  if (!isRecord(recordsValue)) throw new SeedError('records: must be an object of model name to a list of records');
  const records = Object.entries(recordsValue).map(([model, entries]) => {
    if (!Array.isArray(entries)) throw new SeedError(`records.${model}: must be a list of records`);
    return {
      model,
      entries: entries.map((entry, i): SeedRecord => {
        const at = `records.${model}[${i}]`;
        if (!isRecord(entry)) throw new SeedError(`${at}: must be an object of fields`);
        const { owner, ...fields } = entry;
        const ownerEmail = known(optionalText(owner, `${at}.owner`), at);
        if (ownerEmail === undefined && users.length === 0)
          throw new SeedError(`${at}: records are created by a seed user, and the seed has none`);
        return { owner: ownerEmail, fields };
      }),
    };
  });
  const files = list('files').map((entry, i): SeedFileEntry => {
    const at = `files[${i}]`;
    if (!isRecord(entry)) throw new SeedError(`${at}: must be an object`);
    const path = text(entry.path, `${at}.path`);
    const owner = known(optionalText(entry.owner, `${at}.owner`), at);
    if (path.includes('{identityId}') && !owner)
      throw new SeedError(`${at}.path: {identityId} needs an owner (one of the seed's users)`);
    if ((entry.text === undefined) === (entry.file === undefined))
      throw new SeedError(`${at}: give exactly one of text (the content) or file (a path relative to the seed file)`);
    let body: Buffer;
    if (entry.text !== undefined) {
      if (typeof entry.text !== 'string') throw new SeedError(`${at}.text: must be a string`);
      body = Buffer.from(entry.text, 'utf8');
    } else {
      const source = resolve(baseDir, text(entry.file, `${at}.file`));
      try {
        body = readFileSync(source);
      } catch {
        throw new SeedError(`${at}.file: cannot read ${source}`);
      }
    }
    return {
      path,
      owner,
      bucket: optionalText(entry.bucket, `${at}.bucket`),
      body,
      contentType: optionalText(entry.contentType, `${at}.contentType`),
    };
  });
  return { users, records, files };
};

export interface SeedReport {
  users: number;
  records: number;
  files: number;
}

const field = (value: unknown, ...path: string[]): unknown => {
  let current = value;
  for (const key of path) current = isRecord(current) ? current[key] : undefined;
  return current;
};

const post = (url: string, ca: Buffer, token: string, body: string): Promise<Json> =>
  new Promise((resolvePost, reject) => {
    const req = request(
      url,
      { method: 'POST', ca, headers: { 'content-type': 'application/json', authorization: token } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            resolvePost(isRecord(parsed) ? parsed : {});
          } catch (error) {
            reject(error);
          }
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });

/** Applies a seed to a running backend whose user pool does not hold its users yet. */
export const applySeed = async (backend: LocalBackend, seed: Seed): Promise<SeedReport> => {
  const outputs = backend.outputs;
  const poolId = String(field(outputs, 'auth', 'user_pool_id'));
  const clientId = String(field(outputs, 'auth', 'user_pool_client_id'));
  const ca = readFileSync(backend.caFile);
  const pool = backend.auth.pool;
  const signedIn = new Map<string, { accessToken: string; idToken: string; sub: string }>();
  const wrap = async <T>(at: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      if (error instanceof SeedError) throw error;
      throw new SeedError(`${at}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };

  for (const [i, user] of seed.users.entries()) {
    await wrap(`users[${i}] (${user.email})`, async () => {
      await pool.handle('SignUp', {
        ClientId: clientId,
        Username: user.email,
        Password: user.password,
        UserAttributes: [
          { Name: 'email', Value: user.email },
          ...Object.entries(user.attributes).map(([Name, Value]) => ({ Name, Value })),
        ],
      });
      // Confirmed as the user would confirm it: with the code sent, so the email is verified and the trigger runs.
      const code = backend.outbox.latestCode(user.email, 'verification');
      if (!code) throw new SeedError(`users[${i}] (${user.email}): no verification code was sent`);
      await pool.handle('ConfirmSignUp', { ClientId: clientId, Username: user.email, ConfirmationCode: code });
      for (const group of user.groups) pool.addToGroup(user.email, group);
      const found = await pool.handle('AdminGetUser', { UserPoolId: poolId, Username: user.email });
      const attributes = Array.isArray(found.UserAttributes) ? found.UserAttributes : [];
      const sub = attributes.find((a) => isRecord(a) && a.Name === 'sub');
      const subject = {
        sub: String(isRecord(sub) ? sub.Value : ''),
        username: String(found.Username),
        email: user.email,
        emailVerified: true,
        groups: user.groups,
      };
      const tokens = await backend.auth.tokens.issue(subject, clientId, Math.floor(Date.now() / 1000));
      signedIn.set(user.email, { accessToken: tokens.AccessToken, idToken: tokens.IdToken, sub: subject.sub });
    });
  }

  const models = field(outputs, 'data', 'model_introspection', 'models');
  let records = 0;
  for (const { model, entries } of seed.records) {
    if (!isRecord(models) || !isRecord(models[model]))
      throw new SeedError(
        `records.${model}: the API has no model ${model} (it has ${isRecord(models) ? Object.keys(models).join(', ') : 'none'})`,
      );
    for (const [i, entry] of entries.entries()) {
      const at = `records.${model}[${i}]`;
      await wrap(at, async () => {
        const owner = signedIn.get(entry.owner ?? seed.users[0]?.email ?? '');
        if (!owner) throw new SeedError(`${at}: no seed user to create it`);
        const answer = await post(
          backend.urls.graphql,
          ca,
          owner.accessToken,
          JSON.stringify({
            query: `mutation Seed($input: Create${model}Input!) { create${model}(input: $input) { id } }`,
            variables: { input: entry.fields },
          }),
        );
        const errors = answer.errors;
        if (Array.isArray(errors) && errors.length > 0)
          throw new SeedError(`${at}: ${errors.map((e) => String(field(e, 'message'))).join('; ')}`);
        records += 1;
      });
    }
  }

  if (seed.files.length > 0) {
    const endpoint = field(outputs, 'custom', 'local', 'storage_endpoint');
    if (typeof endpoint !== 'string') throw new SeedError('files: this backend has no storage');
    const s3 = new S3Client({
      region: String(field(outputs, 'storage', 'aws_region') ?? 'us-east-1'),
      endpoint: `https://${endpoint}`,
      forcePathStyle: true,
      credentials: backend.adminCredentials,
      requestHandler: new NodeHttpHandler({ httpsAgent: new Agent({ ca }) }),
    });
    const buckets = field(outputs, 'storage', 'buckets');
    const bucketNamed = (name: string | undefined, at: string): string => {
      if (name === undefined) return String(field(outputs, 'storage', 'bucket_name'));
      const found = Array.isArray(buckets) ? buckets.find((b) => field(b, 'name') === name) : undefined;
      if (!found) throw new SeedError(`${at}.bucket: the outputs have no bucket named ${name}`);
      return String(field(found, 'bucket_name'));
    };
    try {
      for (const [i, file] of seed.files.entries()) {
        const at = `files[${i}] (${file.path})`;
        await wrap(at, async () => {
          let key = file.path;
          if (file.owner && key.includes('{identityId}')) {
            const identityPool = backend.auth.identityPool;
            const owner = signedIn.get(file.owner);
            if (!identityPool || !owner) throw new SeedError(`${at}: this backend has no identity pool`);
            const provider = backend.auth.issuer.replace(/^\w+:\/\//, '');
            const id = await identityPool.handle('GetId', {
              IdentityPoolId: String(field(outputs, 'auth', 'identity_pool_id')),
              Logins: { [provider]: owner.idToken },
            });
            key = key.replaceAll('{identityId}', String(id.IdentityId));
          }
          await s3.send(
            new PutObjectCommand({
              Bucket: bucketNamed(file.bucket, `files[${i}]`),
              Key: key,
              Body: file.body,
              ContentType: file.contentType,
            }),
          );
        });
      }
    } finally {
      s3.destroy();
    }
  }
  return { users: seed.users.length, records, files: seed.files.length };
};
