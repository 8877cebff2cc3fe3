// How an API process is started, by `npm start`, `npm run api`, `npm run bench` and the tests that start a
// real API (CommonJS, so that the ESM scripts and the jest tests can both load it): the compiled entry
// (`build.mjs`) on bare node. Source maps are inline, so stack traces name the TypeScript sources.
const path = require('node:path');

const ROOT = path.resolve(__dirname, '../../..');

exports.API_BUILD = path.join(ROOT, 'apps/api/scripts/build.mjs');

exports.API_COMMAND = {
  command: process.execPath,
  args: ['--enable-source-maps', path.join(ROOT, 'apps/api/dist/main.js')],
  env: {},
};
