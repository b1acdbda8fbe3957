/**
 * The small HTTP server of `flashdata web`: the built page (dist/web) and
 * nothing else. WebUSB needs a secure context: http://localhost and
 * http://127.0.0.1 are one, any other plain-http address is not.
 * Secure contexts: https://w3c.github.io/webappsec-secure-contexts/#is-origin-trustworthy
 */
import { createServer, type Server } from 'node:http'
import { hostname } from 'node:os'
import { closeServer, contentType, isLoopback, isWildcard, listen, pageHeaders, readPage } from '../station/http.js'

export interface ServedPage {
  /** The address to open: on every interface, the loopback one (the only one where WebUSB works over http). */
  url: string
  /** Whether browsers allow WebUSB at `url`. */
  secureOrigin: boolean
  /** On every interface: the machine's own name, for other machines (no WebUSB there without HTTPS). */
  networkUrl?: string
  close(): Promise<void>
}

/** Serves the page's files (read once, at start) on host:port; port 0 picks a free one. */
export async function servePage(
  host: string,
  port: number,
  root = new URL('../web/', import.meta.url),
): Promise<ServedPage> {
  const files = readPage(root, 'The page', 'dist/web/')
  const headers = pageHeaders(files)
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://page').pathname
    const body = files.get(path === '/' ? '/index.html' : path)
    if (!body || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { ...headers, 'content-type': 'text/plain' }).end('Not found\n')
      return
    }
    response
      .writeHead(200, { ...headers, 'content-type': contentType(path), 'cache-control': 'no-cache' })
      .end(request.method === 'HEAD' ? undefined : body)
  })
  const served = await listen(server, host, port, 'the page', '--port')
  const at = (name: string) => `http://${name.includes(':') ? `[${name}]` : name}:${served}/`
  const everywhere = isWildcard(host)
  return {
    url: at(everywhere ? 'localhost' : host.replace(/^\[(.*)\]$/, '$1')),
    secureOrigin: everywhere || isLoopback(host),
    networkUrl: everywhere ? at(hostname()) : undefined,
    close: () => closeServer(server),
  }
}
