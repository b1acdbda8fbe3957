import type { Command } from 'commander'
import type { ServedPage } from '../serve-web.js'
import { printResult, type CliIo } from '../io.js'
import { nonEmpty, parseInteger } from '../options.js'

interface WebOptions {
  port: number
  host: string
  open?: boolean
  json?: boolean
}

/** The system's way to open a URL in the default browser. */
function opener(): { command: string; args: string[] } {
  if (process.platform === 'darwin') return { command: 'open', args: [] }
  if (process.platform === 'win32') return { command: 'cmd', args: ['/c', 'start', '""'] }
  return { command: 'xdg-open', args: [] }
}

/** Where WebUSB works: browsers allow it on a secure origin only, and plain http is one on the loopback only. */
function originNote(page: ServedPage): string {
  if (page.networkUrl)
    return `Other machines reach it at ${page.networkUrl}, but WebUSB is off there: browsers allow it only on a secure origin (http://localhost, http://127.0.0.1 or HTTPS).\n`
  if (!page.secureOrigin)
    return 'WebUSB is off at this address: browsers allow it only on a secure origin (http://localhost, http://127.0.0.1 or HTTPS). Serve on 127.0.0.1, or host dist/web/ over HTTPS.\n'
  return ''
}

export function registerWeb(program: Command, io: CliIo): void {
  program
    .command('web')
    .description(
      'serve the browser page (WebUSB: Chrome, Edge, Opera) that packs, writes, verifies and reads boards; Ctrl-C stops it',
    )
    .option('--port <n>', 'TCP port (0: a free one)', parseInteger(0, 65535), 8000)
    .option('--host <address>', 'address to listen on', nonEmpty, '127.0.0.1')
    .option('--open', 'open the page in the default browser')
    .option('--json', 'print the address as one JSON object')
    .addHelpText(
      'after',
      `
Examples:
  $ flashdata web                    serve on http://127.0.0.1:8000/
  $ flashdata web --port 0 --open    a free port, opened in the browser
  $ flashdata web --host 0.0.0.0     also on the network (WebUSB on http://localhost only)

WebUSB needs a secure origin: http://127.0.0.1 and http://localhost are; another
address needs HTTPS (with --host 0.0.0.0 the address printed is http://localhost).
The same page is in dist/web/ as static files to host anywhere.`,
    )
    .action(async (options: WebOptions) => {
      const { servePage } = await import('../serve-web.js')
      const page = await servePage(options.host, options.port)
      // Listening for the stop before the address is out: whoever reads it may stop the server at once.
      const stopped = new Promise<void>((resolve) => {
        process.once('SIGINT', resolve)
        process.once('SIGTERM', resolve)
      })
      if (options.json)
        printResult(io, 'web', { url: page.url, secureOrigin: page.secureOrigin, networkUrl: page.networkUrl })
      else io.stdout.write(`Serving the flashdata page on ${page.url} (Ctrl-C stops it)\n${originNote(page)}`)
      if (options.open) {
        const { spawn } = await import('node:child_process')
        const { command, args } = opener()
        spawn(command, [...args, page.url], { stdio: 'ignore', detached: true })
          .on('error', () => io.stderr.write(`Could not open a browser; open ${page.url} yourself.\n`))
          .unref()
      }
      await stopped
      await page.close()
    })
}
