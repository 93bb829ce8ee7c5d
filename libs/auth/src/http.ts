// The token routes and their module: apart from the package's index, so that a worker (which needs only the
// masker and the token helpers) does not load the HTTP layer and its documentation (@nestjs/swagger).
export * from './auth.module';
export * from './tokens.controller';
