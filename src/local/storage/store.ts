import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { makePrivate, privateDir, writePrivateFile } from '../private-files';

export interface ObjectMeta {
  key: string;
  size: number;
  etag: string;
  contentType: string;
  lastModified: string;
  metadata: Record<string, string>;
  /** The headers S3 keeps with an object and answers with (Content-Disposition, Cache-Control, …). */
  headers?: Record<string, string>;
  /** The `x-amz-checksum-*` values checked on upload, answered when a GET asks for them. */
  checksums?: Record<string, string>;
}

interface StoredMeta extends ObjectMeta {
  /** The body's file name in the bucket's folder: a new name per version, so a replace is one rename. */
  body: string;
}

/** What a PUT or CompleteMultipartUpload describes; the store adds size, ETag and time. */
export type NewObject = Omit<ObjectMeta, 'etag' | 'lastModified' | 'size'>;

const OBJECTS = '@objects';
const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isStoredMeta = (value: unknown): value is StoredMeta =>
  isRecord(value) &&
  typeof value.key === 'string' &&
  typeof value.body === 'string' &&
  /^[0-9a-f]{64}-[0-9a-f]{8}$/.test(value.body) &&
  typeof value.size === 'number' &&
  typeof value.etag === 'string' &&
  typeof value.contentType === 'string' &&
  typeof value.lastModified === 'string' &&
  isRecord(value.metadata);

/**
 * Objects on disk, owner-only: `<dir>/<bucket>/@objects/<sha256(key)>.json`
 * holds an object's metadata and its key, and names its body file
 * `<sha256(key)>-<random>`. File names never come from the key, so any key
 * S3 allows (1,024 bytes of UTF-8) fits, and no key can reach another
 * object's metadata. A write puts the new body beside the old one and then
 * renames the metadata over the old: a reader sees the old object or the new
 * one. The metadata is also kept in memory for listing.
 */
export class ObjectStore {
  private readonly index = new Map<string, Map<string, StoredMeta>>();

  constructor(
    private readonly dir: string,
    buckets: string[],
    private readonly warn: (message: string) => void = console.warn,
  ) {
    privateDir(dir);
    for (const bucket of buckets) this.load(bucket);
  }

  private folder(bucket: string): string {
    return join(this.dir, bucket, OBJECTS);
  }

  private static id(key: string): string {
    return createHash('sha256').update(key, 'utf8').digest('hex');
  }

  /** Reads a bucket's metadata, moves objects from the old layout, removes what a killed write left. */
  private load(bucket: string): void {
    const objects = new Map<string, StoredMeta>();
    this.index.set(bucket, objects);
    const folder = this.folder(bucket);
    privateDir(join(this.dir, bucket));
    privateDir(folder);
    this.migrate(bucket);
    const referenced = new Set<string>();
    for (const name of readdirSync(folder)) {
      const file = join(folder, name);
      if (name.endsWith('.tmp')) {
        rmSync(file, { force: true });
        continue;
      }
      makePrivate(file);
      if (!name.endsWith('.json')) continue;
      let meta: unknown;
      try {
        meta = JSON.parse(readFileSync(file, 'utf8'));
      } catch {
        meta = undefined;
      }
      if (!isStoredMeta(meta) || `${ObjectStore.id(meta.key)}.json` !== name || !existsSync(join(folder, meta.body))) {
        this.warn(`local S3: ${file} is not a readable object description; it is ignored`);
        continue;
      }
      objects.set(meta.key, meta);
      referenced.add(meta.body);
    }
    // Bodies no description names were written by a PUT that a kill interrupted, or replaced.
    for (const name of readdirSync(folder)) {
      if (/^[0-9a-f]{64}-[0-9a-f]{8}$/.test(name) && !referenced.has(name)) rmSync(join(folder, name), { force: true });
    }
  }

  /** The layout before this one kept `<encoded key>` and `<encoded key>.meta.json` in the bucket's folder. */
  private migrate(bucket: string): void {
    const old = join(this.dir, bucket);
    for (const name of readdirSync(old)) {
      const file = join(old, name);
      if (name === OBJECTS || !statSync(file).isFile()) continue;
      if (!name.endsWith('.meta.json')) {
        if (name.endsWith('.tmp')) rmSync(file, { force: true });
        continue;
      }
      const bodyFile = file.slice(0, -'.meta.json'.length);
      try {
        const meta: unknown = JSON.parse(readFileSync(file, 'utf8'));
        if (isRecord(meta) && typeof meta.key === 'string' && existsSync(bodyFile)) {
          const id = ObjectStore.id(meta.key);
          const body = `${id}-${randomUUID().slice(0, 8)}`;
          renameSync(bodyFile, join(this.folder(bucket), body));
          makePrivate(join(this.folder(bucket), body));
          writePrivateFile(join(this.folder(bucket), `${id}.json`), JSON.stringify({ ...meta, body }));
          rmSync(file, { force: true });
          continue;
        }
      } catch {
        // Reported below.
      }
      this.warn(`local S3: ${file} (from an older version) could not be read; it is left where it is`);
    }
  }

  private objects(bucket: string): Map<string, StoredMeta> {
    let objects = this.index.get(bucket);
    if (!objects) {
      objects = new Map();
      this.index.set(bucket, objects);
    }
    return objects;
  }

  put(bucket: string, meta: NewObject, body: Buffer, etag?: string): ObjectMeta {
    const id = ObjectStore.id(meta.key);
    const folder = this.folder(bucket);
    const stored: StoredMeta = {
      ...meta,
      size: body.length,
      etag: etag ?? `"${createHash('md5').update(body).digest('hex')}"`,
      lastModified: new Date().toISOString(),
      body: `${id}-${randomUUID().slice(0, 8)}`,
    };
    writePrivateFile(join(folder, stored.body), body);
    writePrivateFile(join(folder, `${id}.json`), JSON.stringify(stored));
    const previous = this.objects(bucket).get(meta.key);
    this.objects(bucket).set(meta.key, stored);
    if (previous) rmSync(join(folder, previous.body), { force: true });
    return stored;
  }

  head(bucket: string, key: string): ObjectMeta | undefined {
    return this.objects(bucket).get(key);
  }

  get(bucket: string, key: string): { meta: ObjectMeta; body: Buffer } | undefined {
    const meta = this.objects(bucket).get(key);
    return meta && { meta, body: readFileSync(join(this.folder(bucket), meta.body)) };
  }

  delete(bucket: string, key: string): void {
    const meta = this.objects(bucket).get(key);
    if (!meta) return;
    const folder = this.folder(bucket);
    rmSync(join(folder, `${ObjectStore.id(key)}.json`), { force: true });
    rmSync(join(folder, meta.body), { force: true });
    this.objects(bucket).delete(key);
  }

  /** Every object whose key starts with the prefix, in S3's order (UTF-8 bytes, which sorting code points gives). */
  list(bucket: string, prefix: string): ObjectMeta[] {
    return [...this.objects(bucket).values()]
      .filter((o) => o.key.startsWith(prefix))
      .sort((a, b) => compareKeys(a.key, b.key));
  }
}

/** S3 lists keys in UTF-8 byte order. */
export const compareKeys = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));
