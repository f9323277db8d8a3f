#!/usr/bin/env node
// Runs a DynamoDB scenario with the AWS SDK for JavaScript v3
// (@aws-sdk/client-dynamodb from the repository's node_modules) and prints one
// JSON document of normalized results, the same shape as boto3_scenario.py:
// per call the HTTP status, error code and message, and the raw response body
// as received on the wire (captured by wrapping the SDK's HTTP handler), minus
// the fields that differ run to run.
//
//   node js_scenario.mjs --endpoint URL [--ca-bundle PEM | --no-verify] ...
//
// For HTTPS with a private CA either pass --ca-bundle or start node with
// NODE_EXTRA_CA_CERTS=ca.crt (the harness does both).

import fs from 'node:fs'
import https from 'node:https'
import http from 'node:http'
import path from 'node:path'
import zlib from 'node:zlib'
import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'

const here = path.dirname(fileURLToPath(import.meta.url))
const require = createRequire(import.meta.url)
const ddb = require('@aws-sdk/client-dynamodb')
const { NodeHttpHandler } = require('@smithy/node-http-handler')
const sdkVersion = require('@aws-sdk/client-dynamodb/package.json').version

const VOLATILE_KEYS = new Set(['CreationDateTime', 'TableId', 'LastUpdateToPayPerRequestDateTime',
  'LastIncreaseDateTime', 'LastDecreaseDateTime', 'ResponseMetadata'])
const MAX_PAGES = 50

function parseArgs(argv) {
  const o = {
    region: 'us-east-1',
    accessKey: process.env.AWS_ACCESS_KEY_ID || 'AKIDTEST',
    secretKey: process.env.AWS_SECRET_ACCESS_KEY || 'testsecret',
    scenario: path.join(here, '..', 'scenario.json'),
    connectTimeout: 5, readTimeout: 30, clockSkew: 0,
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const v = () => argv[++i]
    switch (a) {
      case '--endpoint': o.endpoint = v(); break
      case '--ca-bundle': o.caBundle = v(); break
      case '--no-verify': o.noVerify = true; break
      case '--region': o.region = v(); break
      case '--access-key': o.accessKey = v(); break
      case '--secret-key': o.secretKey = v(); break
      case '--scenario': o.scenario = v(); break
      case '--steps-json': o.stepsJson = v(); break
      case '--max-attempts': o.maxAttempts = Number(v()); break
      case '--retry-mode': o.retryMode = v(); break
      case '--connect-timeout': o.connectTimeout = Number(v()); break
      case '--read-timeout': o.readTimeout = Number(v()); break
      case '--clock-skew': o.clockSkew = Number(v()); break
      case '--output': o.output = v(); break
      default: throw new Error(`unknown argument ${a}`)
    }
  }
  if (!o.endpoint) throw new Error('--endpoint is required')
  return o
}

// ---- helpers mirroring scenario_lib.py -------------------------------------

function canon(v) {
  if (Array.isArray(v)) return '[' + v.map(canon).join(',') + ']'
  if (v && typeof v === 'object') {
    return '{' + Object.keys(v).sort().map((k) => JSON.stringify(k) + ':' + canon(v[k])).join(',') + '}'
  }
  return JSON.stringify(v)
}

function sortKeys(v) {
  if (Array.isArray(v)) return v.map(sortKeys)
  if (v && typeof v === 'object') {
    const out = {}
    for (const k of Object.keys(v).sort()) out[k] = sortKeys(v[k])
    return out
  }
  return v
}

function strip(v) {
  if (Array.isArray(v)) return v.map(strip)
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64')
  if (v && typeof v === 'object') {
    const out = {}
    for (const [k, x] of Object.entries(v)) if (!VOLATILE_KEYS.has(k)) out[k] = strip(x)
    return out
  }
  return v
}

const byCanon = (a, b) => (canon(a) < canon(b) ? -1 : canon(a) > canon(b) ? 1 : 0)

function normalizeBody(op, body) {
  if (!body || typeof body !== 'object') return body
  body = strip(body)
  if (!Array.isArray(body)) {
    if (op === 'BatchGetItem' && body.Responses && typeof body.Responses === 'object') {
      for (const t of Object.keys(body.Responses)) {
        if (Array.isArray(body.Responses[t])) body.Responses[t] = [...body.Responses[t]].sort(byCanon)
      }
    }
    if (Array.isArray(body.ConsumedCapacity)) body.ConsumedCapacity = [...body.ConsumedCapacity].sort(byCanon)
    if (op === 'ListTagsOfResource' && Array.isArray(body.Tags)) body.Tags = [...body.Tags].sort(byCanon)
  }
  return body
}

function substitute(v, captured) {
  if (typeof v === 'string') {
    return v.replace(/\$\{([A-Za-z0-9_]+)\}/g, (_, name) => {
      if (!(name in captured)) throw new Error(`scenario placeholder \${${name}} was never captured`)
      return String(captured[name])
    })
  }
  if (Array.isArray(v)) return v.map((x) => substitute(x, captured))
  if (v && typeof v === 'object') {
    const out = {}
    for (const [k, x] of Object.entries(v)) out[k] = substitute(x, captured)
    return out
  }
  return v
}

function dig(doc, dotted) {
  for (const part of dotted.split('.')) {
    if (!doc || typeof doc !== 'object' || !(part in doc)) return undefined
    doc = doc[part]
  }
  return doc
}

// B / BS are base64 in the scenario, Uint8Array in the SDK.
function b64ToBytes(v) {
  if (Array.isArray(v)) return v.map(b64ToBytes)
  if (v && typeof v === 'object') {
    const out = {}
    for (const [k, x] of Object.entries(v)) {
      if (k === 'B' && typeof x === 'string') out[k] = new Uint8Array(Buffer.from(x, 'base64'))
      else if (k === 'BS' && Array.isArray(x) && x.every((s) => typeof s === 'string')) {
        out[k] = x.map((s) => new Uint8Array(Buffer.from(s, 'base64')))
      } else out[k] = b64ToBytes(x)
    }
    return out
  }
  return v
}

function parseRawBody(raw) {
  const text = raw.toString('utf8')
  if (text === '') return ''
  try { return JSON.parse(text) } catch { return { __raw_text__: text } }
}

function errorFields(body) {
  if (!body || typeof body !== 'object' || !('__type' in body)) return [null, null]
  const code = String(body.__type).split('#').pop()
  const message = body.message ?? body.Message ?? null
  return [code, message]
}

function crc32Ok(raw, header) {
  if (header === undefined || header === null) return null
  return (zlib.crc32 ? zlib.crc32(raw) : crc32(raw)) === Number(header)
}

// zlib.crc32 exists from node 20.15 / 22.2; keep a fallback for older nodes.
function crc32(buf) {
  let c, crc = 0xffffffff
  for (let n = 0; n < buf.length; n++) {
    c = (crc ^ buf[n]) & 0xff
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1
    crc = (crc >>> 8) ^ c
  }
  return (crc ^ 0xffffffff) >>> 0
}

function tableIsActive(desc) {
  const t = (desc && desc.Table) || {}
  if (t.TableStatus !== 'ACTIVE') return false
  return (t.GlobalSecondaryIndexes || []).every((i) => i.IndexStatus === 'ACTIVE')
}

// ---- the capturing HTTP handler ---------------------------------------------

class CapturingHandler {
  constructor(inner) { this.inner = inner; this.last = null }
  async handle(request, options) {
    const out = await this.inner.handle(request, options)
    const res = out.response
    const chunks = []
    for await (const c of res.body) chunks.push(Buffer.from(c))
    const raw = Buffer.concat(chunks)
    this.last = { status: res.statusCode, headers: res.headers, raw }
    res.body = Readable.from([raw])
    return out
  }
  updateHttpClientConfig(k, v) { if (this.inner.updateHttpClientConfig) this.inner.updateHttpClientConfig(k, v) }
  httpHandlerConfigs() { return this.inner.httpHandlerConfigs ? this.inner.httpHandlerConfigs() : {} }
  destroy() { if (this.inner.destroy) this.inner.destroy() }
}

async function main() {
  const o = parseArgs(process.argv.slice(2))
  const agentOpts = { keepAlive: true }
  if (o.caBundle) agentOpts.ca = fs.readFileSync(o.caBundle)
  if (o.noVerify) agentOpts.rejectUnauthorized = false
  const handler = new CapturingHandler(new NodeHttpHandler({
    connectionTimeout: o.connectTimeout * 1000,
    requestTimeout: o.readTimeout * 1000,
    httpsAgent: new https.Agent(agentOpts),
    httpAgent: new http.Agent({ keepAlive: true }),
  }))
  const cfg = {
    endpoint: o.endpoint,
    region: o.region,
    credentials: { accessKeyId: o.accessKey, secretAccessKey: o.secretKey },
    requestHandler: handler,
  }
  if (o.maxAttempts) cfg.maxAttempts = o.maxAttempts
  if (o.retryMode) cfg.retryMode = o.retryMode
  if (o.clockSkew) cfg.systemClockOffset = o.clockSkew * 1000
  const client = new ddb.DynamoDBClient(cfg)

  async function call(op, params) {
    handler.last = null
    const record = { op }
    const Command = ddb[`${op}Command`]
    if (!Command) throw new Error(`no ${op}Command in @aws-sdk/client-dynamodb`)
    try {
      const out = await client.send(new Command(b64ToBytes(params)))
      record.client_error_code = null
      record.retries = (out.$metadata.attempts || 1) - 1
    } catch (e) {
      if (!e.$metadata || !handler.last) {
        record.exception = e.name || 'Error'
        record.exception_message = String(e.message || e)
        return [record, null]
      }
      record.client_error_code = e.name
      record.retries = (e.$metadata.attempts || 1) - 1
    }
    const last = handler.last
    if (!last) { record.status = null; return [record, null] }
    const body = parseRawBody(last.raw)
    const [code, message] = errorFields(body)
    const headers = Object.fromEntries(Object.entries(last.headers).map(([k, v]) => [k.toLowerCase(), v]))
    Object.assign(record, {
      status: last.status,
      error_code: code,
      error_message: message,
      body: normalizeBody(op, body),
      content_type: headers['content-type'] ?? null,
      crc32_ok: crc32Ok(last.raw, headers['x-amz-crc32']),
      has_request_id: 'x-amzn-requestid' in headers,
    })
    return [record, code === null ? body : null]
  }

  let steps = o.stepsJson ? JSON.parse(o.stepsJson) : JSON.parse(fs.readFileSync(o.scenario, 'utf8'))
  if (!Array.isArray(steps)) steps = steps.steps
  const captured = {}
  const results = []
  const timings = []
  for (const step of steps) {
    const op = step.op
    let params = substitute(step.params || {}, captured)
    if (op === 'wait_active') {
      const deadline = Date.now() + 20000
      let rec, body
      for (;;) {
        [rec, body] = await call('DescribeTable', params)
        if (tableIsActive(body) || Date.now() > deadline) break
        await new Promise((r) => setTimeout(r, 50))
      }
      if (!tableIsActive(body)) results.push({ ...rec, step: step.name, wait_active: 'timeout' })
      continue
    }
    let page = 0
    for (;;) {
      const t0 = Date.now()
      const [rec, body] = await call(op, params)
      timings.push({ step: step.name, page, seconds: (Date.now() - t0) / 1000 })
      rec.step = step.name
      if (step.paginate) rec.page = page
      results.push(rec)
      for (const [name, p] of Object.entries(step.capture || {})) {
        const v = body && typeof body === 'object' ? dig(body, p) : undefined
        if (v !== undefined) captured[name] = v
      }
      params = step.paginate && body && body.LastEvaluatedKey
        ? { ...params, ExclusiveStartKey: body.LastEvaluatedKey } : null
      page++
      if (!params || page >= MAX_PAGES) break
    }
  }
  client.destroy()
  const doc = sortKeys({ client: `aws-sdk-js-v3 client-dynamodb ${sdkVersion} (node ${process.version})`, results, timings })
  const text = JSON.stringify(doc, null, 1) + '\n'
  if (o.output) fs.writeFileSync(o.output, text)
  else process.stdout.write(text)
}

main().catch((e) => {
  process.stderr.write(`js_scenario: ${e.stack || e}\n`)
  process.exit(2)
})
