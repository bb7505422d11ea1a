// One DataStore device for the e2e tests: a child process with its own
// Amplify singleton, user and DataStore (the real @aws-amplify/datastore, in
// memory), driven over IPC. `window` with online/offline events is all of a
// browser DataStore needs in Node; going offline is what a browser reports.
'use strict';
globalThis.window = Object.assign(new EventTarget(), { navigator: { onLine: true } });
if (!('WebSocket' in globalThis)) globalThis.WebSocket = require('ws').WebSocket;

const { Amplify } = require('aws-amplify');
const { signIn, signOut } = require('aws-amplify/auth');
const { Hub } = require('aws-amplify/utils');
const { DataStore, initSchema } = require('@aws-amplify/datastore');

let models = {};
const events = [];
Hub.listen('datastore', ({ payload }) => {
  const { event, data } = payload;
  if (event === 'modelSynced') {
    events.push({
      event,
      model: data.model.name,
      isFullSync: data.isFullSync,
      isDeltaSync: data.isDeltaSync,
      counts: data.counts,
    });
  } else if (event === 'outboxStatus') {
    events.push({ event, isEmpty: data.isEmpty });
  } else {
    events.push({ event });
  }
});

const plain = (item) => (item ? JSON.parse(JSON.stringify(item)) : null);
const waitFor = async (check, ms) => {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
};
const setOnline = (online) => {
  window.navigator.onLine = online;
  window.dispatchEvent(new Event(online ? 'online' : 'offline'));
};
const observed = [];

const commands = {
  async configure({ config, introspection, email, password }) {
    Amplify.configure(config);
    models = initSchema(introspection);
    await signIn({ username: email, password });
    return true;
  },
  async start() {
    const from = events.length;
    await DataStore.start();
    const ready = await waitFor(() => events.slice(from).some((e) => e.event === 'ready'), 20000);
    return { ready, synced: events.slice(from).filter((e) => e.event === 'modelSynced') };
  },
  async stop() {
    await DataStore.stop();
    return true;
  },
  async save({ model, fields }) {
    return plain(await DataStore.save(new models[model](fields)));
  },
  async update({ model, id, fields }) {
    const current = await DataStore.query(models[model], id);
    if (!current) throw new Error(`${model} ${id} is not on this device`);
    return plain(await DataStore.save(models[model].copyOf(current, (draft) => Object.assign(draft, fields))));
  },
  async remove({ model, id }) {
    const current = await DataStore.query(models[model], id);
    if (!current) throw new Error(`${model} ${id} is not on this device`);
    return plain(await DataStore.delete(current));
  },
  async query({ model }) {
    return (await DataStore.query(models[model])).map(plain);
  },
  async get({ model, id }) {
    return plain(await DataStore.query(models[model], id));
  },
  async observe({ model }) {
    DataStore.observe(models[model]).subscribe((msg) => {
      observed.push({ at: Date.now(), opType: msg.opType, id: msg.element.id, element: plain(msg.element) });
    });
    return true;
  },
  async observed() {
    return observed;
  },
  async offline() {
    setOnline(false);
    return true;
  },
  async online() {
    const from = events.length;
    setOnline(true);
    return { from };
  },
  /** Waits until the outbox is empty after `from` (every local change sent). */
  async drained({ from = 0, ms = 15000 }) {
    return waitFor(() => events.slice(from).some((e) => e.event === 'outboxStatus' && e.isEmpty), ms);
  },
  async events() {
    return events;
  },
  async quit() {
    await DataStore.stop().catch(() => undefined);
    await signOut().catch(() => undefined);
    setTimeout(() => process.exit(0), 10);
    return true;
  },
};

process.on('message', async ({ id, cmd, args }) => {
  try {
    const result = await commands[cmd](args ?? {});
    process.send({ id, ok: true, result });
  } catch (error) {
    process.send({ id, ok: false, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
  }
});
process.on('unhandledRejection', (error) => {
  process.send({ id: -1, ok: false, error: `unhandled: ${error instanceof Error ? error.message : String(error)}` });
});
process.send({ id: 0, ok: true, result: 'up' });
