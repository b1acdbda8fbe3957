/**
 * USB serials a device can report that flashdata must refuse, by what each
 * tries: any device may claim a Particle id and send any string descriptor
 * (at most 126 UTF-16 units).
 */
export const HOSTILE_SERIALS: Record<string, string> = {
  'a parent folder': '../loot',
  'a path out of its folder': 'x/../../escaped',
  'an absolute path': '/etc',
  'a backslash path': '..\\loot',
  'a lone dot pair': '..',
  'a NUL': 'e00fce68a1b2\u0000/../x',
  'control characters': 'abc\ndef\u001b[2J',
  'over-long (65 letters)': 'a'.repeat(65),
  'the longest a descriptor holds': 'b'.repeat(126),
  'a bidi override': 'e00fce68\u202e81ec',
  'non-ASCII letters': 'e00fce68a1b2c3d4e5f6071\u212a',
  empty: '',
  'an openssl subject': '/CN=x/O=evil',
  'a shell substitution': '$(touch pwned)',
  'a backquote': '`id`',
  'an option': '-rf',
}

/** Serials real boards report: the Electron's device id (any case), older Device OS's firmware-mode serial, the benches'. */
export const GOOD_SERIALS = [
  'e00fce68a1b2c3d4e5f60718', // test-usb/usb-bench.vm.js
  'E00FCE68A1B2C3D4E5F60718',
  'e1ec72000000000000000001', // the emulator's default
  '00000000050C', // Device OS before 0.8 in firmware mode (po-util#7)
  'a'.repeat(64),
]

/** What must never reach a record, report or message from such a serial: control, bidi or look-alike characters, a path step, an openssl subject, a shell substitution. */
export const SMUGGLED = /[\u0000-\u0009\u000b-\u001f\u007f\u202e\u212a]|\.\.\/|\/CN=|\$\(/
