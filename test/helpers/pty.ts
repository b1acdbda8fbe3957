/**
 * A prefix for runCli that runs the CLI on a pseudo-terminal of the given
 * size (its stdin, stdout and stderr), and passes what the terminal shows
 * to the prefix's standard output.
 */
export function ptyPrefix(columns: number, rows = 24): string[] {
  return [
    'python3',
    '-c',
    `
import fcntl, os, pty, struct, subprocess, sys, termios
master, slave = pty.openpty()
fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack('HHHH', ${rows}, ${columns}, 0, 0))
child = subprocess.Popen(sys.argv[1:], stdin=slave, stdout=slave, stderr=slave)
os.close(slave)
while True:
    try:
        data = os.read(master, 65536)
    except OSError:
        break
    if not data:
        break
    sys.stdout.buffer.write(data)
sys.exit(child.wait())
`,
  ]
}

/** What a terminal shows, as lines: escape sequences and carriage returns removed. */
export function screenLines(output: string): string[] {
  // eslint-disable-next-line no-control-regex
  // Back to column 1 (ora's way) is a carriage return; every other sequence goes.
  // eslint-disable-next-line no-control-regex
  return output
    .replace(/\x1b\[[01]?G/g, '\r')
    .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')
    .split(/\r?\n/)
    .map((line) => line.split('\r').at(-1)!)
}
