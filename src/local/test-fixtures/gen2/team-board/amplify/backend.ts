import { defineBackend } from '@aws-amplify/backend';
import { auth } from './auth/resource';
import { data } from './data/resource';
import { authorizer } from './functions/authorizer/resource';
import { teamScore } from './functions/team-score/resource';

/**
 * A Gen 2 backend for the local mode's tests whose default mode is a Lambda
 * authorizer (`allow.custom()`), with an OIDC provider as an additional mode,
 * relationships both ways and one-to-one, a function-backed query and
 * mutation, and a model the public reads under an API key and owners write.
 */
defineBackend({ auth, data, authorizer, teamScore });
