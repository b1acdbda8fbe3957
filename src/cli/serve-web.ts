/**
 * The small HTTP server of `flashdata web`: the built page (dist/web) and
 * nothing else. WebUSB needs a secure context; http://127.0.0.1 is one.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { FlashdataError } from '../errors.js'

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
}

export interface ServedPage {
  url: string
  close(): Promise<void>
}

/** Serves the page's files (read once, at start) on host:port; port 0 picks a free one. */
export async function servePage(
  host: string,
  port: number,
  root = new URL('../web/', import.meta.url),
): Promise<ServedPage> {
  let files: Map<string, Buffer>
  try {
    files = new Map(readdirSync(root).map((name) => [`/${name}`, readFileSync(new URL(name, root))]))
  } catch (error) {
    throw new FlashdataError('INPUT_NOT_FOUND', `The page's files are missing (${(error as Error).message}).`, {
      hint: 'Build them with npm run build (it writes dist/web/).',
      cause: error,
    })
  }
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://page').pathname
    const body = files.get(path === '/' ? '/index.html' : path)
    if (!body || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found\n')
      return
    }
    response
      .writeHead(200, { 'content-type': TYPES[path.split('.').pop() ?? ''] ?? TYPES.html, 'cache-control': 'no-cache' })
      .end(request.method === 'HEAD' ? undefined : body)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new FlashdataError(
          'BAD_OPTION',
          `Cannot serve on ${host}:${port}: ${error.code === 'EADDRINUSE' ? 'the port is in use' : error.message}.`,
          {
            hint: 'Choose another port with --port, or --port 0 for a free one; --host must be an address of this machine.',
            cause: error,
          },
        ),
      ),
    )
    server.listen(port, host, resolve)
  })
  const address = server.address() as { port: number }
  const shown = host.includes(':') ? `[${host}]` : host
  return {
    url: `http://${shown}:${address.port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}
