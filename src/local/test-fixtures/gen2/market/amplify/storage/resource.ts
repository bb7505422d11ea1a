import { defineStorage } from '@aws-amplify/backend';
import { onMediaDelete } from '../functions/on-media-delete/resource';

export const media = defineStorage({
  name: 'marketMedia',
  isDefault: true,
  access: (allow) => ({
    'listings/*': [
      allow.guest.to(['read']),
      allow.authenticated.to(['read']),
      allow.groups(['Staff']).to(['read', 'write', 'delete']),
    ],
    'inbox/{entity_id}/*': [allow.entity('identity').to(['read', 'write', 'delete'])],
  }),
  triggers: { onDelete: onMediaDelete },
});

export const exportsBucket = defineStorage({
  name: 'marketExports',
  access: (allow) => ({
    'reports/*': [allow.authenticated.to(['read']), allow.resource(onMediaDelete).to(['write'])],
  }),
});
