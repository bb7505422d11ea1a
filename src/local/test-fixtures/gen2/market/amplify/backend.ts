import { defineBackend } from '@aws-amplify/backend';
import { auth } from './auth/resource';
import { data } from './data/resource';
import { onMediaDelete } from './functions/on-media-delete/resource';
import { openShop } from './functions/open-shop/resource';
import { postConfirm } from './functions/post-confirm/resource';
import { preSignUp } from './functions/pre-sign-up/resource';
import { preToken } from './functions/pre-token/resource';
import { quotePrice } from './functions/quote-price/resource';
import { exportsBucket, media } from './storage/resource';

/**
 * A Gen 2 backend for the local mode's tests, written the way Gen 2's docs
 * write them: auth triggers (pre sign-up, post confirmation with group
 * access, pre token generation), a custom attribute and TOTP; enums, custom
 * types, a composite key, a secondary index, field-level and group-defined
 * rules, disabled operations, many-to-many, a pipeline of APPSYNC_JS and a
 * function, a custom subscription, an HTTP data source; two buckets with a delete trigger; custom
 * outputs and escape hatches.
 */
const backend = defineBackend({
  auth,
  data,
  media,
  exportsBucket,
  preSignUp,
  postConfirm,
  preToken,
  quotePrice,
  onMediaDelete,
  openShop,
});

// The rates service; the tests serve it on this loopback port.
backend.data.addHttpDataSource('RatesApi', 'http://127.0.0.1:20091');

backend.addOutput({ custom: { market: { currency: 'EUR', support: 'help@market.example' } } });
// Escape hatches as the docs show them: a stricter password policy and tracing on the API.
backend.auth.resources.cfnResources.cfnUserPool.policies = {
  passwordPolicy: {
    minimumLength: 12,
    requireLowercase: true,
    requireNumbers: true,
    requireSymbols: false,
    requireUppercase: false,
  },
};
backend.data.resources.cfnResources.cfnGraphqlApi.xrayEnabled = true;
