import { defineBackend } from '@aws-amplify/backend';
import { auth } from './auth/resource';
import { data } from './data/resource';
import { echo } from './functions/echo/resource';
import { onUpload } from './functions/on-upload/resource';
import { storage } from './storage/resource';

/**
 * A Gen 2 backend unlike this project's own, for the local mode's tests: public
 * reads under an API key, guests of the identity pool, a relationship, a
 * function-backed query, an APPSYNC_JS mutation on the DynamoDB module, and a
 * storage trigger.
 */
defineBackend({ auth, data, storage, echo, onUpload });
