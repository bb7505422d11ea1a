import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { assertPortsFree, DEFAULT_PORTS, FREE_PORTS, PortInUseError, resolvePorts } from './ports';

describe('local ports', () => {
  const held: Server[] = [];
  afterEach(async () => {
    for (const server of held.splice(0)) await new Promise((r) => server.close(r));
  });

  it('takes the defaults, then package.json, then the flags', () => {
    // Prepare / Act
    const ports = resolvePorts({ graphql: 30002, storage: '30005' }, { storage: '40005', push: '0' });
    // Assess
    expect(ports).toEqual({ ...DEFAULT_PORTS, graphql: 30002, storage: 40005, push: 0 });
    expect(resolvePorts(undefined, {})).toEqual(DEFAULT_PORTS);
  });

  it('refuses what is not a port, and services it does not know, naming where the value came from', () => {
    expect(() => resolvePorts(undefined, { graphql: 'abc' })).toThrow(/--graphql-port: "abc" is not a port/);
    expect(() => resolvePorts(undefined, { auth: '70000' })).toThrow(/--auth-port: "70000"/);
    expect(() => resolvePorts({ graphql: -1 }, {})).toThrow(/amplifyLocal\.ports\.graphql/);
    expect(() => resolvePorts({ appsync: 1 }, {})).toThrow(/unknown service "appsync"/);
    expect(() => resolvePorts([1], {})).toThrow(/expected an object/);
  });

  it('fails before starting anything when a fixed port is taken, naming the port and its flag', async () => {
    // Prepare: something else holds a port
    const server = createServer();
    held.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const address = server.address();
    const taken = typeof address === 'object' && address ? address.port : 0;
    // Act
    const error = await assertPortsFree({ ...FREE_PORTS, storage: taken }).catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(PortInUseError);
    expect(String(error)).toContain(`port ${taken} (storage`);
    expect(String(error)).toContain('--storage-port=<port>');
    await expect(assertPortsFree(FREE_PORTS)).resolves.toBeUndefined();
  });
});
