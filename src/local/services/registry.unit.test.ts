import { describe, expect, it } from 'vitest';
import { type LocalService, ServiceRegistry, ServiceStartError, serviceOf } from './registry';

/** A service that records its lifecycle in `events`. */
const recording = (name: string, events: string[], fail?: 'start' | 'stop'): LocalService => ({
  name,
  start: async () => {
    if (fail === 'start') throw new Error(`${name} cannot start`);
    events.push(`start ${name}`);
  },
  stop: async () => {
    events.push(`stop ${name}`);
    if (fail === 'stop') throw new Error(`${name} cannot stop`);
  },
  info: () => ({ url: `http://127.0.0.1/${name}` }),
});

describe('the local service registry', () => {
  it('starts services in the order they are added and stops them in reverse, once', async () => {
    // Prepare
    const events: string[] = [];
    const registry = new ServiceRegistry();
    // Act
    for (const name of ['dynamodb', 'auth', 'graphql']) await registry.start(recording(name, events));
    await registry.stopAll();
    await registry.stopAll();
    // Assess
    expect(events).toEqual([
      'start dynamodb',
      'start auth',
      'start graphql',
      'stop graphql',
      'stop auth',
      'stop dynamodb',
    ]);
  });

  it('after a failed start, stops only what had started', async () => {
    const events: string[] = [];
    const registry = new ServiceRegistry();
    await registry.start(recording('dynamodb', events));
    await expect(registry.start(recording('auth', events, 'start'))).rejects.toThrow('auth cannot start');
    expect(registry.names()).toEqual(['dynamodb']);
    await registry.stopAll();
    expect(events).toEqual(['start dynamodb', 'stop dynamodb']);
  });

  it('keeps stopping the others when one fails to stop', async () => {
    const events: string[] = [];
    const registry = new ServiceRegistry();
    await registry.start(recording('a', events));
    await registry.start(recording('b', events, 'stop'));
    await registry.start(recording('c', events));
    const errors = console.error;
    console.error = () => {};
    try {
      await registry.stopAll();
    } finally {
      console.error = errors;
    }
    expect(events.slice(3)).toEqual(['stop c', 'stop b', 'stop a']);
  });

  it('refuses two services of one name, and reports each started one by name', async () => {
    const registry = new ServiceRegistry();
    await registry.start(recording('auth', []));
    await expect(registry.start(recording('auth', []))).rejects.toThrow(ServiceStartError);
    expect(registry.info()).toEqual({ auth: { url: 'http://127.0.0.1/auth' } });
  });

  it('adapts a server handle: no handle before start or after stop, its own close on stop', async () => {
    let closed = 0;
    const service = serviceOf('search', async () => ({ url: 'http://127.0.0.1:1', close: async () => void closed++ }), {
      stop: (handle) => handle.close(),
      info: ({ url }) => ({ url }),
    });
    expect(() => service.handle).toThrow(/search service has not started/);
    expect(service.info()).toEqual({});
    await service.start();
    expect(service.handle.url).toBe('http://127.0.0.1:1');
    expect(service.info()).toEqual({ url: 'http://127.0.0.1:1' });
    await service.stop();
    await service.stop();
    expect(closed).toBe(1);
    expect(() => service.handle).toThrow();
  });
});
