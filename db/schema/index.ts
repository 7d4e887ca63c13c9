export * from './projects';
export * from './pipelines';
export * from './runs';
export * from './registry';
export * from './dlq';
export * from './idempotency';
export * from './activations';
export * from './console';
