/**
 * A prefix for runCli that runs the CLI on a pseudo-terminal of the given
 * size (its stdin, stdout and stderr, and its controlling terminal, so that
 * a Ctrl-C typed there is a SIGINT and is echoed as "^C", as in a shell),
 * and passes what the terminal shows to the prefix's standard output.
 * `ctrlCAfter`: type Ctrl-C once the output holds that text.
 */
export function ptyPrefix(columns: number, rows = 24, { ctrlCAfter }: { ctrlCAfter?: string } = {}): string[] {
  return [
    'python3',
    '-c',
    `
import fcntl, os, pty, struct, subprocess, sys, termios
master, slave = pty.openpty()
fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack('HHHH', ${rows}, ${columns}, 0, 0))
child = subprocess.Popen(sys.argv[1:], stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
                         preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
os.close(slave)
trigger = ${JSON.stringify(ctrlCAfter ?? '')}.encode()
seen = b''
while True:
    try:
        data = os.read(master, 65536)
    except OSError:
        break
    if not data:
        break
    sys.stdout.buffer.write(data)
    if trigger:
        seen += data
        if trigger in seen:
            trigger = b''
            os.write(master, b'\\x03')
sys.exit(child.wait())
`,
  ]
}

/** What a terminal shows, as lines: escape sequences and carriage returns removed. */
export function screenLines(output: string): string[] {
  // Back to column 1 (ora's way) is a carriage return; every other sequence goes.
  // eslint-disable-next-line no-control-regex
  return output
    .replace(/\x1b\[[01]?G/g, '\r')
    .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')
    .split(/\r?\n/)
    .map((line) => line.split('\r').at(-1)!)
}

/**
 * The screen a terminal is left with after `output`, as lines: text is put
 * where the cursor is, and the sequences the renderers move it with are
 * carried out (carriage return, line feed, cursor up, column, erase to the
 * end of the line or of the screen); colours and the like are dropped.
 */
export function finalScreen(output: string): string[] {
  const lines: string[][] = [[]]
  let row = 0
  let column = 0
  // eslint-disable-next-line no-control-regex
  for (const [, sequence, text] of output.matchAll(/(\x1b\[[0-9;?]*[A-Za-z])|([^\x1b]+|\x1b)/g)) {
    if (sequence) {
      const [, number, command] = /^\x1b\[\??([0-9;]*)([A-Za-z])$/.exec(sequence)!
      const n = Number.parseInt(number || '0', 10)
      if (command === 'A') row = Math.max(0, row - Math.max(1, n))
      else if (command === 'G') column = Math.max(0, n - 1)
      else if (command === 'K') lines[row].length = n === 0 ? Math.min(lines[row].length, column) : 0
      else if (command === 'J' && n === 0) {
        lines[row].length = Math.min(lines[row].length, column)
        lines.length = row + 1
      }
      continue
    }
    for (const char of text) {
      if (char === '\r') column = 0
      else if (char === '\n') {
        // As the terminal's output processing (onlcr) makes it: a new line starts at column 1.
        row++
        column = 0
        while (lines.length <= row) lines.push([])
      } else {
        while (lines[row].length < column) lines[row].push(' ')
        lines[row][column++] = char
      }
    }
  }
  return lines.map((line) => line.join(''))
}
