// PouchDB measured on the documents ldgs syncs (bench/sync_bench docs N FILE), for
// bench/run.sh: a bulk load into a local leveldb PouchDB (bulkDocs, 1,000 per call), then a
// one-way replication of them to a PouchDB server on loopback HTTP. Prints the same
// "RESULT name value unit" lines as sync_bench.
// Usage: node pouch_sync.js DOCS.jsonl WORKDIR BATCH_SIZE
const fs = require('fs');
const path = require('path');
const readline = require('readline');
const { spawn } = require('child_process');
const PouchDB = require('pouchdb');

function result(name, value, unit) {
  console.log(`RESULT ${name} ${value.toFixed(3)} ${unit}`);
}

function rssMb(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
}

async function readDocs(file) {
  const docs = [];
  const lines = readline.createInterface({ input: fs.createReadStream(file) });
  for await (const line of lines) {
    if (!line.trim()) continue;
    const r = JSON.parse(line);
    docs.push({ _id: r.id, kind: r.kind, visibility: r.visibility, ...r.body });
  }
  return docs;
}

function startServer(dir) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, 'pouch_server.js'), dir],
                        { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', (data) => {
      const m = /listening (\d+)/.exec(data.toString());
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.on('exit', (code) => reject(new Error(`pouch server exited with ${code}`)));
  });
}

async function main() {
  const [file, work, batch] = process.argv.slice(2);
  const batchSize = Number(batch || 1000);
  fs.mkdirSync(path.join(work, 'server'), { recursive: true });
  const docs = await readDocs(file);

  const source = new PouchDB(path.join(work, 'source'));
  let started = process.hrtime.bigint();
  for (let i = 0; i < docs.length; i += 1000) {
    await source.bulkDocs(docs.slice(i, i + 1000));
  }
  result('pouchdb_bulk_load', docs.length / (Number(process.hrtime.bigint() - started) / 1e9),
         'docs/s');

  const { child, port } = await startServer(path.join(work, 'server'));
  const target = `http://127.0.0.1:${port}/bench`;
  started = process.hrtime.bigint();
  const replicated = await PouchDB.replicate(source, target, { batch_size: batchSize });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (replicated.docs_written !== docs.length) {
    throw new Error(`replicated ${replicated.docs_written} of ${docs.length} docs`);
  }
  result(`pouchdb_sync_batch_${batchSize}`, docs.length / seconds, 'docs/s');
  result(`pouchdb_sync_batch_${batchSize}_server_rss`, rssMb(child.pid), 'MB');
  child.kill();
  await source.close();
}

main().catch((error) => {
  console.error('pouch_sync: ' + error.message);
  process.exit(1);
});
