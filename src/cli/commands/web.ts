import type { Command } from 'commander'
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

WebUSB needs a secure origin: http://127.0.0.1 and http://localhost are; another
host needs HTTPS. The same page is in dist/web/ as static files to host anywhere.`,
    )
    .action(async (options: WebOptions) => {
      const { servePage } = await import('../serve-web.js')
      const page = await servePage(options.host, options.port)
      if (options.json) printResult(io, 'web', { url: page.url })
      else io.stdout.write(`Serving the flashdata page on ${page.url} (Ctrl-C stops it)\n`)
      if (options.open) {
        const { spawn } = await import('node:child_process')
        const { command, args } = opener()
        spawn(command, [...args, page.url], { stdio: 'ignore', detached: true })
          .on('error', () => io.stderr.write(`Could not open a browser; open ${page.url} yourself.\n`))
          .unref()
      }
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve)
        process.once('SIGTERM', resolve)
      })
      await page.close()
    })
}
