import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

/** How the fake answers one post: after `delayMs` (never, with `hang`), with `body`. */
export interface FakeReply {
  delayMs?: number
  hang?: boolean
  body?: string
  /** Answer with `connection: close`: the socket ends after this reply. */
  close?: boolean
}

/**
 * A Sectigo stand-in over a real socket that counts what the service did to it: every complete
 * post (and its fields), sockets open now and at peak, and posts being answered at once.
 */
export interface FakeSectigo {
  base: string
  port: number
  posts: Array<{ endpoint: string; fields: URLSearchParams; at: number }>
  readonly openSockets: number
  readonly peakSockets: number
  readonly peakConcurrentPosts: number
  reply: (endpoint: string, fields: URLSearchParams) => FakeReply
  /** Destroys about `share` of the open sockets, whatever they are doing (connection churn). */
  dropSockets(share: number): void
  /** Stops listening and drops every socket (the port may be taken again with `restart`). */
  stop(): Promise<void>
  restart(): Promise<void>
}

export async function startFakeSectigo(reply: FakeSectigo['reply'] = () => ({ body: 'errorCode=0' }), port = 0): Promise<FakeSectigo> {
  const sockets = new Set<Socket>()
  let peakSockets = 0
  let concurrent = 0
  let peakConcurrentPosts = 0
  const started = Date.now()
  let server: Server

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => (body += chunk))
    req.on('end', () => {
      const endpoint = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname.split('/').pop() ?? '')
      const fields = new URLSearchParams(body)
      fake.posts.push({ endpoint, fields, at: Date.now() - started })
      concurrent++
      peakConcurrentPosts = Math.max(peakConcurrentPosts, concurrent)
      const answer = fake.reply(endpoint, fields)
      let done = false
      const finish = () => {
        if (done) return
        done = true
        concurrent--
      }
      res.on('close', finish)
      if (answer.hang) return
      setTimeout(() => {
        if (res.destroyed) return finish()
        res.writeHead(200, { 'content-type': 'text/plain', ...(answer.close ? { connection: 'close' } : {}) }).end(answer.body ?? 'errorCode=0')
        finish()
      }, answer.delayMs ?? 0)
    })
  }

  const listen = async (at: number) => {
    server = createServer(handle)
    server.keepAliveTimeout = 60_000
    server.on('connection', (socket: Socket) => {
      sockets.add(socket)
      peakSockets = Math.max(peakSockets, sockets.size)
      socket.on('close', () => sockets.delete(socket))
    })
    server.listen(at, '127.0.0.1')
    await once(server, 'listening')
    return (server.address() as AddressInfo).port
  }

  const bound = await listen(port)
  const fake: FakeSectigo = {
    base: `http://127.0.0.1:${bound}/products/`,
    port: bound,
    posts: [],
    reply,
    get openSockets() {
      return sockets.size
    },
    get peakSockets() {
      return peakSockets
    },
    get peakConcurrentPosts() {
      return peakConcurrentPosts
    },
    dropSockets(share: number) {
      for (const socket of sockets) if (Math.random() < share) socket.destroy()
    },
    async stop() {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => server.close(resolve))
    },
    async restart() {
      await listen(bound)
    }
  }
  return fake
}

/** A loopback port that nothing listens on (bound once, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}
