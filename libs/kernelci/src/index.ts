export * from './kernel-runner';
export * from './kernel-runner-registry';
export * from './kernel-queue';
export * from './kernel.service';
export * from './kernel-work.service';
export * from './tuxsuite-callbacks.service';
export * from './tuxsuite.kernel-runner';
export * from './kernelci.module';
