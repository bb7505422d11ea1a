import { defineBackend } from '@aws-amplify/backend';
import { auth } from './auth/resource';
import { data } from './data/resource';

/** A Gen 2 backend with social sign-in (Google and an OIDC provider) and a post-confirmation trigger, for the local mode's tests. */
defineBackend({ auth, data });
