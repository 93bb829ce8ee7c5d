export * from './runner';
export * from './run-wrapper';
export * from './shell-quote';
export * from './local.runner';
export * from './ssh/ssh.runner';
export * from './ssh/ssh-connection';
export * from './ssh/host-key';
export * from './runner-registry';
