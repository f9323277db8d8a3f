#!/usr/bin/env node
// Starts dynalite bound to 127.0.0.1 only (dynalite's own cli.js binds every
// interface) and prints the bound port as one JSON line on stdout, so that the
// test harness and ./dev demo can use port 0 and learn the real port.
//
//   node dynalite_server.js [--port N] [--path DIR] [--ssl-cert F --ssl-key F]
//
// --path keeps the data on disk (LevelDB) so that a restarted server on the
// same port still has its tables; without it the data lives in memory.
'use strict'

const fs = require('fs')
const path = require('path')

function parseArgs(argv) {
  const opts = { port: 0 }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`)
      return argv[++i]
    }
    if (a === '--port') opts.port = Number(next())
    else if (a === '--path') opts.path = next()
    else if (a === '--ssl-cert') opts.sslCert = next()
    else if (a === '--ssl-key') opts.sslKey = next()
    else throw new Error(`unknown argument ${a}`)
  }
  return opts
}

let dynalite
try {
  dynalite = require('dynalite')
} catch (e) {
  // Resolve from the repository root when started from elsewhere.
  dynalite = require(path.join(__dirname, '..', '..', 'node_modules', 'dynalite'))
}

const opts = parseArgs(process.argv.slice(2))
const dynaliteOpts = { createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 }
if (opts.path) dynaliteOpts.path = opts.path
if (opts.sslCert || opts.sslKey) {
  dynaliteOpts.ssl = true
  dynaliteOpts.cert = fs.readFileSync(opts.sslCert)
  dynaliteOpts.key = fs.readFileSync(opts.sslKey)
  dynaliteOpts.ca = dynaliteOpts.cert
}

const server = dynalite(dynaliteOpts)
server.on('error', (err) => {
  process.stderr.write(`dynalite: ${err.stack || err}\n`)
  process.exit(1)
})
server.listen(opts.port, '127.0.0.1', () => {
  const addr = server.address()
  process.stdout.write(JSON.stringify({
    address: addr.address, port: addr.port, tls: Boolean(dynaliteOpts.ssl), pid: process.pid,
  }) + '\n')
})

function stop() {
  server.close(() => process.exit(0))
  // Keep-alive connections would hold close() open; do not wait for them.
  setTimeout(() => process.exit(0), 1000).unref()
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
