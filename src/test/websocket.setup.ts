import { WebSocket } from 'ws';

// Node 20 has no global WebSocket; aws-amplify's realtime client needs one (browsers and Node 22 have it).
if (!('WebSocket' in globalThis)) Object.assign(globalThis, { WebSocket });
