// Jest cannot load NestJS 12 (ESM only). Specs exercise Runyard's own classes, constructed by hand;
// this stands in for @nestjs/common, @nestjs/core, @nestjs/config and @nestjs/swagger so their files load:
// decorators do nothing, Logger writes warnings and errors to stderr, ConfigModule.forRoot validates nothing.
// Nest itself is exercised by the end-to-end specs.
class Logger {
  constructor(context) {
    this.context = context;
  }
  log() {}
  debug() {}
  verbose() {}
  warn(message) {
    if (process.env.RUNYARD_TEST_LOGS) console.warn(`[${this.context}] ${message}`);
  }
  error(message) {
    if (process.env.RUNYARD_TEST_LOGS) console.error(`[${this.context}] ${message}`);
  }
}
const noopDecorator = () => () => undefined;
module.exports = new Proxy(
  { Logger, ConfigModule: { forRoot: () => Promise.resolve({}) }, ConfigService: class ConfigService {} },
  {
    get: (target, name) => (name in target ? target[name] : name === '__esModule' ? false : noopDecorator),
  },
);
