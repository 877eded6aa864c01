/** Every package the workspace publishes (the others are private), by name and folder. */
export const PUBLISHED = [
  '@stowage/core',
  '@stowage/local',
  '@stowage/s3',
  '@stowage/contract',
  '@stowage/migrate',
  'stowage',
] as const;
