export * from './api-token';
export * from './auth.decorators';
export * from './auth.guard';
export * from './audit.middleware';
export * from './tokens.service';
export * from './tokens.controller';
export * from './auth.module';
export * from './token-auth.middleware';
