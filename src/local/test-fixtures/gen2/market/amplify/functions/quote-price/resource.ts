import { defineFunction } from '@aws-amplify/backend';

export const quotePrice = defineFunction({
  name: 'quote-price',
  entry: './handler.ts',
  environment: { TAX_RATE: '0.2' },
  timeoutSeconds: 15,
  memoryMB: 256,
  resourceGroupName: 'data',
});
