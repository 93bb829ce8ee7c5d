// Preloaded (`node -r bench/cpu-profile.cjs`) into Runyard's processes by `bench/run.mjs --profile`.
// Samples the CPU from start-up; SIGUSR2 writes the profile to $BENCH_PROF_DIR/<name>-<pid>.cpuprofile
// (Chrome DevTools format). `--cpu-prof` cannot be used: Nest ends on a re-raised SIGTERM, and a
// process killed by a signal never writes its `--cpu-prof` file.
const inspector = require('node:inspector');
const fs = require('node:fs');
const path = require('node:path');

const session = new inspector.Session();
session.connect();
session.post('Profiler.enable', () =>
  session.post('Profiler.setSamplingInterval', { interval: 200 }, () => session.post('Profiler.start')),
);
process.on('SIGUSR2', () => {
  session.post('Profiler.stop', (err, res) => {
    if (err) return;
    const file = path.join(process.env.BENCH_PROF_DIR || '.', `${process.env.BENCH_PROF_NAME || 'node'}-${process.pid}.cpuprofile`);
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(res.profile));
    fs.renameSync(`${file}.tmp`, file);
  });
});
