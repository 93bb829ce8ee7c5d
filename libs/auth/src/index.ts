export * from './api-token';
export * from './auth.decorators';
export * from './auth.guard';
export * from './audit.middleware';
export * from './tokens.service';
export * from './token-auth.middleware';
export * from './output-masker';
