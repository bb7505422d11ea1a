import { Logger } from '@aws-lambda-powertools/logger';
import { type ConflictEvent, type ConflictResolution, resolveConflict } from './core';

const logger = new Logger({ serviceName: 'conflict-handler' });

/** AppSync's conflict handler for every model resolver: see core.ts. */
export const handler = async (event: ConflictEvent): Promise<ConflictResolution> => {
  const resolution = resolveConflict(event);
  logger.debug('conflict', { field: event.resolver?.field, action: resolution.action });
  return resolution;
};
