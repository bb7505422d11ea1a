/**
 * One lifecycle for every local service: each is a `LocalService` (start,
 * stop, info), the registry starts them in the order the backend adds them
 * (a service only uses services added before it) and stops them in reverse,
 * on one shutdown path, whether the start failed half-way or the backend is
 * disposed.
 */

/** What a running service tells tools and the outputs about itself. */
export interface ServiceInfo {
  /** Its base URL on 127.0.0.1 (`https://…` for the TLS ones), when it listens. */
  url?: string;
  /** The form its clients take, when that differs from `url` (S3's host:port). */
  endpoint?: string;
}

export interface LocalService {
  /** Short and unique: `dynamodb`, `auth`, `graphql`, … (logs, errors, `services` of the backend). */
  readonly name: string;
  start(): Promise<void>;
  /** Stops what `start` started; never throws for a service that did not start. */
  stop(): Promise<void>;
  /** Valid once started. */
  info(): ServiceInfo;
}

/** A service with a handle the backend uses once it runs (a server object, a client). */
export interface HandleService<H> extends LocalService {
  /** The started handle; throws before `start`. */
  readonly handle: H;
}

/**
 * Adapts a `start…()` function of a local server to the contract: `start`
 * keeps the handle it returns, `stop` calls the handle's own stop (`close`
 * or `stop`), `info` reads it.
 */
export const serviceOf = <H>(
  name: string,
  start: () => Promise<H>,
  lifecycle: { stop: (handle: H) => Promise<void>; info: (handle: H) => ServiceInfo },
): HandleService<H> => {
  let handle: H | undefined;
  return {
    name,
    get handle(): H {
      if (handle === undefined) throw new Error(`the local ${name} service has not started`);
      return handle;
    },
    start: async () => {
      handle = await start();
    },
    stop: async () => {
      const running = handle;
      handle = undefined;
      if (running !== undefined) await lifecycle.stop(running);
    },
    info: () => (handle === undefined ? {} : lifecycle.info(handle)),
  };
};

export class ServiceStartError extends Error {
  override readonly name = 'ServiceStartError';
}

export class ServiceRegistry {
  readonly #started: LocalService[] = [];
  readonly #log: (message: string) => void;

  constructor(log: (message: string) => void = () => {}) {
    this.#log = log;
  }

  /** Starts a service after the ones already started (which it may use); returns it, started. */
  async start<S extends LocalService>(service: S): Promise<S> {
    if (this.#started.some((s) => s.name === service.name))
      throw new ServiceStartError(`two local services are named ${service.name}`);
    this.#log(`starting ${service.name} ...`);
    await service.start();
    this.#started.push(service);
    return service;
  }

  /** The started services' info, by name, in start order. */
  info(): Record<string, ServiceInfo> {
    return Object.fromEntries(this.#started.map((s) => [s.name, s.info()]));
  }

  names(): string[] {
    return this.#started.map((s) => s.name);
  }

  /** Stops every started service, the last started first; a failure is reported and the others still stop. */
  async stopAll(): Promise<void> {
    while (this.#started.length > 0) {
      const service = this.#started.pop();
      await service?.stop().catch((error: unknown) => console.error(`stopping ${service.name}:`, error));
    }
  }
}
