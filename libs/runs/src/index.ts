export * from './errors';
export * from './available-runners';
export * from './runs.repository';
export * from './runs.service';
export * from './profiles.service';
