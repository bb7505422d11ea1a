import { defineStorage } from '@aws-amplify/backend';

/** Path prefixes, shared by the access rules, the lifecycle rule and the CDN. */
export const MEDIA_PREFIX = 'media/';
export const PUBLISHED_PREFIX = 'published/';
/** The prefixes under which each identity owns a folder of its own (`<prefix><identity>/`). */
export const OWNED_PREFIXES = [MEDIA_PREFIX, PUBLISHED_PREFIX];

export const storage = defineStorage({
  name: 'userMedia',
  isDefault: true,
  // Branch deploys keep the bucket and its objects (no auto-delete); sandboxes always delete it.
  keepOnDelete: true,
  access: (allow) => ({
    // Private media: only the identity that owns the folder.
    'media/{entity_id}/*': [allow.entity('identity').to(['read', 'write', 'delete'])],
    // Published media: the owner writes, any signed-in user reads, Admins moderate; the CDN serves it.
    'published/{entity_id}/*': [
      allow.entity('identity').to(['read', 'write', 'delete']),
      allow.authenticated.to(['read']),
      allow.groups(['Admins']).to(['read', 'delete']),
    ],
  }),
});
