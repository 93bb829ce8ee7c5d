// The API's side of agents (routes, their documentation): apart from the package's index, so that a worker,
// which needs only the dispatch, does not load the HTTP layer and its documentation (@nestjs/swagger).
export * from './agents-api.module';
export * from './automn-error.view';
