import { defineFunction } from '@aws-amplify/backend';

// In the data stack: the API references it, and it references the bus beside the API.
export const placeOrder = defineFunction({ name: 'place-order', entry: './handler.ts', resourceGroupName: 'data' });
