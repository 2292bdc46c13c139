// A PouchDB server (express-pouchdb, leveldb) on 127.0.0.1, for bench/run.sh.
// Usage: node pouch_server.js DIR   -- prints "listening PORT" once it accepts connections.
const path = require('path');
const express = require('express');
const PouchDB = require('pouchdb');

const dir = process.argv[2];
const Pouch = PouchDB.defaults({ prefix: path.join(dir, '/') });
const app = express();
app.use('/', require('express-pouchdb')(Pouch, {
  mode: 'minimumForPouchDB',
  configPath: path.join(dir, 'config.json'),
  logPath: path.join(dir, 'log.txt'),
}));
const server = app.listen(0, '127.0.0.1', () => {
  console.log('listening ' + server.address().port);
});
