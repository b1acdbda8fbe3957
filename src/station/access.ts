/**
 * Who the station page answers, checked on every request before anything else:
 *
 * - The Host header must name an address the page is served on. A page of
 *   another site that points its own name at this machine (DNS rebinding)
 *   sends that name, and is refused; so is a request without a Host.
 * - A control (POST) must come from the page itself: Origin and
 *   Sec-Fetch-Site, which browsers add and pages cannot forge, must say so.
 * - Exposed (--ui-host), everything that shows or changes the station needs
 *   the token; only the page's own files, which hold no data, do not. A GET
 *   takes it in the x-station-token header or the query's `token` (an
 *   EventSource and a download link cannot set a header); a POST in the
 *   header only, which a page of another site cannot send without asking
 *   first (a CORS preflight, never answered here).
 *
 * Fetch metadata: https://www.w3.org/TR/fetch-metadata/ ; Origin: RFC 6454 §7.
 */
import { timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { hostname, networkInterfaces } from 'node:os'
import { isLoopback, isWildcard } from './http.js'

const LOOPBACK = ['127.0.0.1', 'localhost', '[::1]']

/** An address as a Host header carries it: lower case, an IPv6 one in brackets. */
const asHost = (address: string) => {
  const bare = address.toLowerCase().replace(/^\[(.*)\]$/, '$1')
  return bare.includes(':') ? `[${bare}]` : bare
}

/**
 * The names the page answers to, served on `host` (as given to --ui-host) and
 * bound to `bound` (the address the system gave it): on every interface, this
 * machine's name and each of its addresses (read again at each request, as
 * they change), and the loopback; else the address or name given.
 */
export function servedNames(host: string, bound: string): () => Set<string> {
  if (isWildcard(host))
    return () =>
      new Set([
        ...LOOPBACK,
        hostname().toLowerCase(),
        ...Object.values(networkInterfaces())
          .flat()
          .flatMap((a) => (a ? [asHost(a.address)] : [])),
      ])
  const names = new Set(isLoopback(host) ? LOOPBACK : [asHost(host), asHost(bound)])
  return () => names
}

/** The name in a Host header ("bench-2:8001", "[fe80::1]:8001"), without its port. */
function hostOf(header: string): string {
  const name = header.toLowerCase()
  return name.startsWith('[') ? name.slice(0, name.indexOf(']') + 1) : name.replace(/:\d*$/, '')
}

const sameText = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b))

export interface AccessRules {
  names: () => Set<string>
  /** Set when exposed. */
  token?: string
}

/** Why a request is refused (a 403's text), or undefined when it may go on. `open`: one of the page's own files. */
export function refusal(request: IncomingMessage, url: URL, rules: AccessRules, open: boolean): string | undefined {
  const host = request.headers.host
  if (!host || !rules.names().has(hostOf(host)))
    return 'This station page answers to the addresses it is served on only.\n'
  if (request.method === 'POST') {
    const origin = request.headers.origin
    const site = request.headers['sec-fetch-site']
    if (
      (origin !== undefined && origin.toLowerCase() !== `http://${host.toLowerCase()}`) ||
      (site && site !== 'same-origin')
    )
      return 'Controls are accepted from the station page only.\n'
  }
  if (open || !rules.token) return undefined
  const header = request.headers['x-station-token']
  const given = typeof header === 'string' ? header : request.method === 'GET' ? url.searchParams.get('token') : null
  if (given && sameText(given, rules.token)) return undefined
  return request.method === 'POST'
    ? 'The station is on the network: its controls need the token, sent by the page opened at the address printed with it.\n'
    : 'The station is on the network: what it shows needs the token; open the address printed with it.\n'
}
