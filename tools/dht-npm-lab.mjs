// SPDX-License-Identifier: BSD-3-Clause
// Interop peer: a few npm bittorrent-dht (webtorrent) nodes in one process,
// driven by JSON lines on stdin, answering JSON lines on stdout. Started by
// tools/dht-lt-lab.py (scenario "npm") inside unshare -n.
//   node tools/dht-npm-lab.mjs MODULES_DIR BOOTSTRAP_HOST:PORT N
import crypto from 'node:crypto'
import readline from 'node:readline'
import path from 'node:path'
import { pathToFileURL } from 'node:url'

const [modules, bootstrap, nStr] = process.argv.slice(2)
const { default: DHT } = await import(pathToFileURL(
  path.join(modules, 'bittorrent-dht', 'index.js')).href)
const N = parseInt(nStr, 10)

const SPKI = Buffer.from('302a300506032b6570032100', 'hex')
const PKCS8 = Buffer.from('302e020100300506032b657004220420', 'hex')
function verify (sig, msg, pk) {
  const key = crypto.createPublicKey({ key: Buffer.concat([SPKI, pk]), format: 'der', type: 'spki' })
  return crypto.verify(null, msg, key, sig)
}
function keyFromSeed (seed) {
  const priv = crypto.createPrivateKey({ key: Buffer.concat([PKCS8, seed]), format: 'der', type: 'pkcs8' })
  const pub = crypto.createPublicKey(priv).export({ format: 'der', type: 'spki' }).subarray(12)
  return { priv, pub }
}

const out = (o) => process.stdout.write(JSON.stringify(o) + '\n')
const dhts = []
for (let i = 0; i < N; i++) {
  const others = [bootstrap]
  for (let j = 0; j < i; j++) others.push(`127.0.0.${10 + j}:6881`)
  const d = new DHT({ bootstrap: others, verify })
  d.on('error', (e) => out({ event: 'error', node: i, error: String(e) }))
  dhts.push(d)
  await new Promise((resolve) => d.listen(6881, `127.0.0.${10 + i}`, resolve))
}
await Promise.all(dhts.map((d) => d.ready ? null : new Promise((resolve) => d.once('ready', resolve))))
out({ event: 'started', ids: dhts.map((d) => d.nodeId.toString('hex')) })

const rl = readline.createInterface({ input: process.stdin })
rl.on('line', (line) => {
  let c
  try { c = JSON.parse(line) } catch { return }
  const d = dhts[c.node || 0]
  if (c.cmd === 'state') {
    out({ cmd: 'state', nodes: dhts.map((x) => x.toJSON().nodes) })
  } else if (c.cmd === 'lookup') {
    const peers = new Set()
    const onpeer = (peer, ih) => {
      if (ih.toString('hex') === c.target) peers.add(`${peer.host}:${peer.port}`)
    }
    d.on('peer', onpeer)
    d.lookup(Buffer.from(c.target, 'hex'), (err, n) => {
      d.removeListener('peer', onpeer)
      out({ cmd: 'lookup', error: err ? String(err) : null, n, peers: [...peers] })
    })
  } else if (c.cmd === 'get') {
    const opts = c.salt ? { salt: Buffer.from(c.salt), cache: false } : { cache: false }
    d.get(Buffer.from(c.target, 'hex'), opts, (err, res) =>
      out({
        cmd: 'get',
        error: err ? String(err) : null,
        v: res && res.v ? Buffer.from(res.v).toString('hex') : null,
        seq: res ? res.seq : null,
        k: res && res.k ? Buffer.from(res.k).toString('hex') : null
      }))
  } else if (c.cmd === 'put_mutable') {
    const { priv, pub } = keyFromSeed(Buffer.from(c.seed, 'hex'))
    d.put({
      k: pub,
      seq: c.seq,
      salt: Buffer.from(c.salt),
      v: Buffer.from(c.v),
      sign: (buf) => crypto.sign(null, buf, priv)
    }, (err, hash, n) => out({
      cmd: 'put_mutable', error: err ? String(err) : null,
      target: hash ? Buffer.from(hash).toString('hex') : null, n
    }))
  } else if (c.cmd === 'quit') {
    out({ cmd: 'quit' })
    for (const x of dhts) x.destroy()
    rl.close()
    setTimeout(() => process.exit(0), 100)
  }
})
