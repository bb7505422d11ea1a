import { defineStorage } from '@aws-amplify/backend';
import { onUpload } from '../functions/on-upload/resource';

export const storage = defineStorage({
  name: 'blogFiles',
  access: (allow) => ({
    'public/*': [allow.guest.to(['read']), allow.authenticated.to(['read', 'write', 'delete'])],
    'processed/*': [allow.authenticated.to(['read']), allow.resource(onUpload).to(['write'])],
  }),
  triggers: { onUpload },
});
