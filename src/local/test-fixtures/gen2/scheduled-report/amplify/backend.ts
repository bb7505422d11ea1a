import { defineBackend } from '@aws-amplify/backend';
import { auth } from './auth/resource';
import { data } from './data/resource';
import { nightlyReport } from './functions/nightly-report/resource';

/** A Gen 2 backend with a scheduled function that reads a secret, for the local mode's tests. */
defineBackend({ auth, data, nightlyReport });
