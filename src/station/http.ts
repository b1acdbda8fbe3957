/**
 * What the two page servers share (`flashdata web` and the station page):
 * the built files, read once; the headers that keep another site from framing
 * a page (a click on Stop inside a hidden frame) and keep any script but the
 * page's own from running; listening with a typed error; and a close that
 * drops the connections still open, so a stop never waits for a client.
 */
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import type { Server } from 'node:http'
import { FlashdataError } from '../errors.js'

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
}

export const contentType = (path: string): string => TYPES[path.split('.').pop() ?? ''] ?? TYPES.html

/** The built page's files by their path ("/index.html"); `build` names the folder npm run build writes them to. */
export function readPage(root: URL, what: string, build: string): Map<string, Buffer> {
  try {
    return new Map(readdirSync(root).map((name) => [`/${name}`, readFileSync(new URL(name, root))]))
  } catch (error) {
    throw new FlashdataError(
      'INPUT_NOT_FOUND',
      `${what}'s files are missing from ${build} (${(error as Error).message}).`,
      {
        details: { what: 'web-build' },
        cause: error,
      },
    )
  }
}

/**
 * Headers for every response. The page's scripts and styles come from its own
 * origin, its inline <style> blocks allowed by their hashes; it is framed by
 * nothing (CSP frame-ancestors, and X-Frame-Options for older browsers); other
 * sites cannot embed its responses (CORP) or learn its address (Referrer-Policy).
 * blob: is fetched by the page's own download links.
 * CSP: https://www.w3.org/TR/CSP3/ ; hashes of inline blocks: §8.3 (the block's text, UTF-8, SHA-256, base64).
 */
export function pageHeaders(files: Map<string, Buffer>): Record<string, string> {
  const html = files.get('/index.html')?.toString('utf8') ?? ''
  const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map(
    ([, css]) => `'sha256-${createHash('sha256').update(css, 'utf8').digest('base64')}'`,
  )
  const policy = [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self' ${styles.join(' ')}`.trim(),
    "connect-src 'self' blob:",
    "img-src 'self' data: blob:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ')
  return {
    'content-security-policy': policy,
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-resource-policy': 'same-origin',
    'cross-origin-opener-policy': 'same-origin',
  }
}

/** Listens on host:port (0: a free port) and resolves with the port; a port in use is BAD_OPTION naming `option`. */
export function listen(server: Server, host: string, port: number, what: string, option: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new FlashdataError(
          'BAD_OPTION',
          `Cannot serve ${what} on ${host}:${port}: ${error.code === 'EADDRINUSE' ? 'the port is in use' : error.message}.`,
          { details: { option, host, port }, cause: error },
        ),
      ),
    )
    server.listen(port, host, () => resolve((server.address() as { port: number }).port))
  })
}

/** Stops listening and destroys every open connection, a request still half-sent or a stream held open included. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })
}

/** True for an address that names this machine's loopback (a secure origin over plain http for browsers). */
export const isLoopback = (host: string): boolean =>
  host === 'localhost' || host === '::1' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host)

/** 0.0.0.0 or ::, every interface. */
export const isWildcard = (host: string): boolean => host === '0.0.0.0' || host === '::' || host === '[::]'
