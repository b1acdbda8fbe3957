/**
 * Builds the firmware reader with g++ and sanitizers against the Particle.h
 * stand-in, runs it on image bytes and parses its JSON-lines report.
 */
import { execFile, spawnSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ImageEntry } from '../../src/image/parse.js'
import { EXAMPLE_SOURCES, FIRMWARE, LIBRARY_SOURCES, STUB } from '../../scripts/firmware/arm.js'

const here = fileURLToPath(new URL('.', import.meta.url))

export const STUB_INCLUDES = ['-I', STUB, '-I', join(FIRMWARE, 'src')]
export { EXAMPLE_SOURCES as EXAMPLES, LIBRARY_SOURCES }
export const ORIGINAL_API_SKETCH = join(here, 'original-api.cpp')
/** The flash interface model that stands in for the STM32F2's registers in every host build. */
const FLASH_MODEL = join(here, 'flash-model.cpp')
const WARNINGS = ['-Wall', '-Wextra', '-Werror']
export const SANITIZERS = ['-fsanitize=address,undefined', '-fno-sanitize-recover=all', '-fno-omit-frame-pointer']

/** Word sizes the host builds run at: the PC's, and the Cortex-M3's 32 bits (g++ -m32). */
export type Bits = 64 | 32
const bitsFlag = (bits: Bits) => (bits === 32 ? ['-m32'] : [])
const UBSAN_ONLY = ['-fsanitize=undefined', '-fno-sanitize-recover=all', '-fno-omit-frame-pointer']

/**
 * How a sanitized program of this word size runs here: natively under ASan
 * and UBSan; or, for 32 bits on a kernel without IA-32 emulation, under
 * qemu-user's qemu-i386 with UBSan alone (ASan's shadow memory does not come
 * up under qemu-user: the program hangs at start). Undefined when it cannot
 * run: no g++, no g++-multilib, neither way works.
 */
export interface Runner {
  /** The command the program runs under, if any. */
  prefix: string[]
  sanitizers: string[]
  /** For test names: 'ASan/UBSan' or 'UBSan under qemu-i386'. */
  label: string
}

function probe(bits: Bits, sanitizers: string[], prefix: string[]): boolean {
  const run = [...prefix, '"$d/probe"'].join(' ')
  return (
    spawnSync('sh', [
      '-c',
      `d=$(mktemp -d) && printf 'int main(){return 0;}' | g++ -x c++ ${bitsFlag(bits).join(' ')} ${sanitizers.join(' ')} -o "$d/probe" - && timeout 20 ${run}; s=$?; rm -rf "$d"; exit $s`,
    ]).status === 0
  )
}

const runners = new Map<Bits, Runner | undefined>()
export function runner(bits: Bits): Runner | undefined {
  if (!runners.has(bits)) {
    let found: Runner | undefined
    if (hasGxx && probe(bits, SANITIZERS, [])) found = { prefix: [], sanitizers: SANITIZERS, label: 'ASan/UBSan' }
    else if (hasGxx && bits === 32 && probe(bits, UBSAN_ONLY, ['qemu-i386']))
      found = { prefix: ['qemu-i386'], sanitizers: UBSAN_ONLY, label: 'UBSan under qemu-i386' }
    runners.set(bits, found)
  }
  return runners.get(bits)
}

/** Whether sanitized programs of this word size can be built and run here (see runner). */
export const canRun = (bits: Bits): boolean => runner(bits) !== undefined

/** Result codes of electron-flash-file.h. */
export const Res = {
  NO_ERROR: 0,
  INVALID_FORMAT: 2,
  FILE_NOT_FOUND: 3,
  END_OF_FILE: 4,
  CRC_MISMATCH: 5,
  INVALID_ARGUMENT: 6,
  NOT_TERMINATED: 7,
} as const

export const hasGxx = spawnSync('g++', ['--version']).status === 0
export const hasOpenssl = spawnSync('openssl', ['version']).status === 0
/** Debian's libmbedtls-dev: the libraries to link and whether a program using them builds. */
export const MBEDTLS_LIBS = ['-lmbedx509', '-lmbedcrypto']
export const hasMbedtls =
  hasGxx &&
  spawnSync('sh', [
    '-c',
    `printf '#include <mbedtls/x509_crt.h>\\nint main(){mbedtls_x509_crt c; mbedtls_x509_crt_init(&c); return 0;}' | g++ -x c++ -o /dev/null - ${MBEDTLS_LIBS.join(' ')}`,
  ]).status === 0

export interface Exit {
  code: number
  stdout: string
  stderr: string
}

export function run(file: string, args: string[]): Promise<Exit> {
  return new Promise((resolve) => {
    // Sanitizer reports must reach stderr whatever the caller's environment says.
    const env = { ...process.env, ASAN_OPTIONS: 'detect_leaks=1', UBSAN_OPTIONS: 'print_stacktrace=1' }
    execFile(file, args, { env, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0
      resolve({ code, stdout, stderr })
    })
  })
}

/** Compiles without linking, for the examples and the platform guard. */
export function syntaxCheck(sources: string[], defines: string[] = []): Promise<Exit> {
  return run('g++', ['-std=c++11', '-fsyntax-only', ...WARNINGS, ...defines, ...STUB_INCLUDES, ...sources])
}

export interface StreamReport {
  open: number
  /** Stream's timeout for its waiting helpers, in ms. */
  timeout: number
  available: number
  size: number
  peek: number
  /** Hex of every byte, read with read() and then Stream::readBytes. */
  data: string
  endAvailable: number
  endRead: number
  endPeek: number
  written: number
  writeError: number
  seekPastEnd: boolean
  positionAfter: number
  rewound: boolean
  firstAgain: number
}

/** What the C++ reader printed for one file: the entry as parseImage lists it, plus what reading gave. */
export interface FileReport extends ImageEntry {
  /** Hex of the bytes read with readFileData, 7 at a time. */
  read: string
  dataRes: number
  /** Hex of the bytes at getFileData's pointer. */
  zeroCopy: string
  addressMatches: boolean
  eofRes: number
  /** getFileDataWithNul: result, the length it gave, and whether it points where getFileData does. */
  nul: { res: number; length: number; samePointer: boolean }
  stream: StreamReport
}

export interface Report {
  lookups: { name: string; res: number; data?: string }[]
  validate: number
  crc: number
  files: FileReport[]
  end: { index: number; res: number }
  forged: {
    readRes: number
    dataRes: number
    addressIsNull: boolean
    nullName: number
    nullInfo: number
    negativeLength: number
    nulRes: number
    nulNullLength: number
    streamMissing: { open: number; available: number; read: number; peek: number }
  }
  crc32: string
  /** sizeof(size_t) in bits, as the harness was built. */
  sizeBits: number
}

const text = (hex: string) => Buffer.from(hex, 'hex').toString('utf8')

function parseReport(stdout: string): Report {
  const report: Partial<Report> & Pick<Report, 'lookups' | 'files'> = { lookups: [], files: [] }
  for (const line of stdout.trim().split('\n')) {
    // A crash can cut the last line; the exit code and stderr tell that story.
    if (!line.endsWith('}')) continue
    const { event, ...fields } = JSON.parse(line)
    if (event === 'lookup') report.lookups.push({ ...fields, name: text(fields.name) })
    else if (event === 'file')
      report.files.push({ ...fields, name: text(fields.name), contentType: text(fields.contentType) })
    else if (event === 'validate' || event === 'crc') report[event as 'validate' | 'crc'] = fields.res
    else if (event === 'end' || event === 'forged') report[event as 'end' | 'forged'] = fields
    else if (event === 'crc32') report.crc32 = fields.check
    else if (event === 'build') report.sizeBits = fields.sizeBits
  }
  return report as Report
}

export class Harness {
  private runs = 0

  private constructor(
    private readonly dir: string,
    /** The built program, after the command it runs under (qemu-i386), if any. */
    private readonly command: string[],
  ) {}

  /** Builds harness.cpp (or another driver in this folder) with the library, sanitized, at `bits`. */
  static async build(bits: Bits = 64, driver = 'harness.cpp', libs: string[] = []): Promise<Harness> {
    const how = runner(bits)
    if (!how) throw new Error(`sanitized ${bits}-bit programs cannot run on this machine`)
    const dir = await mkdtemp(join(tmpdir(), 'flashdata-firmware-'))
    const binary = join(dir, 'harness')
    const args = [
      '-std=c++17',
      '-O1',
      '-g',
      ...bitsFlag(bits),
      ...WARNINGS,
      ...how.sanitizers,
      ...STUB_INCLUDES,
      ...LIBRARY_SOURCES,
      FLASH_MODEL,
      join(here, driver),
      '-o',
      binary,
      ...libs,
    ]
    const compiled = await run('g++', args)
    if (compiled.code !== 0) {
      await rm(dir, { recursive: true, force: true })
      throw new Error(`g++ failed:\n${compiled.stderr}`)
    }
    return new Harness(dir, [...how.prefix, binary])
  }

  /** Loads `slot` into the stand-in flash and looks up `names` first. */
  async run(slot: Uint8Array, names: string[] = []): Promise<Exit & { report: Report }> {
    const exit = await this.exec(slot, names)
    return { ...exit, report: parseReport(exit.stdout) }
  }

  /** Runs the driver on a slot file made of `slot`, with more arguments. */
  async exec(slot: Uint8Array, args: string[] = []): Promise<Exit> {
    const file = join(this.dir, `slot-${this.runs++}.bin`)
    await writeFile(file, slot)
    const [program, ...before] = this.command
    return run(program, [...before, file, ...args])
  }

  async dispose(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true })
  }
}
