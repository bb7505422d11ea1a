// One DataStore device in headless Chromium (bundled by datastore.browser.e2e.test.ts with the
// models `npm run codegen` writes): the real @aws-amplify/datastore on IndexedDB, configured from
// the local outputs with configureLocal. The test drives it through `window.device`; going offline
// is the browser's own (DevTools network emulation), which DataStore's reachability monitor watches.
import { DataStore, type PersistentModel, type PersistentModelConstructor } from '@aws-amplify/datastore';
import { Amplify } from 'aws-amplify';
import { signIn } from 'aws-amplify/auth';
import { Hub } from 'aws-amplify/utils';
import { configureLocal } from '../client/local';

type Json = Record<string, unknown>;
type Models = Record<string, unknown>;

interface DeviceEvent {
  event: string;
  at: number;
  model?: string;
  isFullSync?: boolean;
  isDeltaSync?: boolean;
  isEmpty?: boolean;
  active?: boolean;
}

const events: DeviceEvent[] = [];
const observed: Array<{ at: number; opType: string; id: string }> = [];

Hub.listen('datastore', ({ payload }) => {
  const data: unknown = payload.data;
  const get = (key: string): unknown =>
    typeof data === 'object' && data !== null && key in data ? Reflect.get(data, key) : undefined;
  const model = get('model');
  const name = typeof model === 'function' || typeof model === 'object' ? Reflect.get(model ?? {}, 'name') : undefined;
  events.push({
    event: payload.event,
    at: Date.now(),
    model: typeof name === 'string' ? name : undefined,
    isFullSync: get('isFullSync') === true,
    isDeltaSync: get('isDeltaSync') === true,
    isEmpty: get('isEmpty') === true,
    active: get('active') === true,
  });
});

const plain = (item: unknown): Json | null => (item ? JSON.parse(JSON.stringify(item)) : null);

const waitFor = async (check: () => boolean, ms: number): Promise<boolean> => {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
};

/** The generated index.js exports initSchema's constructors (typed in its index.d.ts, which this file does not see). */
const isModel = (value: unknown): value is PersistentModelConstructor<PersistentModel> =>
  typeof value === 'function' && 'copyOf' in value;

export const installDevice = (generated: Models): void => {
  const model = (name: string): PersistentModelConstructor<PersistentModel> => {
    const found = generated[name];
    if (!isModel(found)) throw new Error(`the generated models have no ${name}`);
    return found;
  };
  const current = async (name: string, id: string): Promise<PersistentModel> => {
    const found = await DataStore.query(model(name), id);
    if (!found) throw new Error(`${name} ${id} is not on this device`);
    return found;
  };

  const device = {
    async configure({ outputs, email, password }: { outputs: Json; email: string; password: string }) {
      configureLocal(Amplify, outputs);
      await signIn({ username: email, password });
      return true;
    },
    async start() {
      const from = events.length;
      await DataStore.start();
      const ready = await waitFor(() => events.slice(from).some((e) => e.event === 'ready'), 20_000);
      return { ready, synced: events.slice(from).filter((e) => e.event === 'modelSynced') };
    },
    async stop() {
      await DataStore.stop();
      return true;
    },
    async save({ model: name, fields }: { model: string; fields: Json }) {
      const Model = model(name);
      return plain(await DataStore.save(new Model(fields)));
    },
    async update({ model: name, id, fields }: { model: string; id: string; fields: Json }) {
      const found = await current(name, id);
      return plain(await DataStore.save(model(name).copyOf(found, (draft) => Object.assign(draft, fields))));
    },
    async remove({ model: name, id }: { model: string; id: string }) {
      return plain(await DataStore.delete(await current(name, id)));
    },
    async query({ model: name }: { model: string }) {
      return (await DataStore.query(model(name))).map(plain);
    },
    async get({ model: name, id }: { model: string; id: string }) {
      return plain(await DataStore.query(model(name), id));
    },
    async observe({ model: name }: { model: string }) {
      DataStore.observe(model(name)).subscribe((message) => {
        observed.push({ at: Date.now(), opType: message.opType, id: String(message.element.id) });
      });
      return true;
    },
    async observed() {
      return observed;
    },
    async events() {
      return events;
    },
    /** Waits until the outbox is empty after event `from` (every local change sent). */
    async drained({ from = 0, ms = 15_000 }: { from?: number; ms?: number }) {
      return waitFor(() => events.slice(from).some((e) => e.event === 'outboxStatus' && e.isEmpty), ms);
    },
    /** What the page itself sees of the network, and the IndexedDB databases DataStore made. */
    async environment() {
      const databases = await indexedDB.databases();
      return { onLine: navigator.onLine, databases: databases.map((d) => d.name ?? '') };
    },
  };
  Reflect.set(globalThis, 'device', device);
};
