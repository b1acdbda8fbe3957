// Builds the firmware library and its examples with Debian's gcc-arm-none-eabi
// for the Electron's Cortex-M3, against the stand-in Particle.h, and reads
// the library's code size and its CRC inner loop from the objects. Used by
// the firmware tests (warnings, size budget) and by npm run bench.
import { execFile, spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const REPO = fileURLToPath(new URL('../../', import.meta.url))
export const FIRMWARE = join(REPO, 'firmware')
export const STUB = join(REPO, 'test/firmware/stub')
/** The library's own sources: what a firmware that uses it links. */
export const LIBRARY_SOURCES = readdirSync(join(FIRMWARE, 'src'))
  .filter((f) => f.endsWith('.cpp'))
  .sort()
  .map((f) => join(FIRMWARE, 'src', f))
/** One folder per example, each with its .cpp files. */
export const EXAMPLE_SOURCES = readdirSync(join(FIRMWARE, 'examples'))
  .sort()
  .flatMap((dir) =>
    readdirSync(join(FIRMWARE, 'examples', dir))
      .filter((f) => f.endsWith('.cpp'))
      .map((f) => join(FIRMWARE, 'examples', dir, f)),
  )

// The Electron's core (STM32F205, Cortex-M3), with -ffunction-sections and
// -fdata-sections as Device OS builds every module (unused code is dropped
// at link time).
export const ARM_FLAGS = [
  '-std=gnu++17',
  '-mcpu=cortex-m3',
  '-mthumb',
  '-Os',
  '-fno-exceptions',
  '-fno-rtti',
  '-ffunction-sections',
  '-fdata-sections',
  '-Wall',
  '-Wextra',
  '-Werror',
  '-Wcast-align=strict',
]

export const hasArmToolchain = spawnSync('arm-none-eabi-g++', ['--version']).status === 0

function run(file, args) {
  return new Promise((resolve) => {
    execFile(file, args, { maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr })
    })
  })
}

/** Compiles each source to <name>.o in outDir (the names are unique); stops at the first failure. */
export async function compileForArm(sources, outDir) {
  const objects = []
  for (const source of sources) {
    const object = join(outDir, `${basename(source, '.cpp')}.o`)
    const result = await run('arm-none-eabi-g++', [
      ...ARM_FLAGS,
      '-I',
      STUB,
      '-I',
      join(FIRMWARE, 'src'),
      '-c',
      source,
      '-o',
      object,
    ])
    if (result.code !== 0) return { ...result, objects }
    objects.push(object)
  }
  return { code: 0, stdout: '', stderr: '', objects }
}

/** Berkeley sizes (text, data, bss) of each object and their sum. */
export async function armSizes(objects) {
  const { stdout } = await run('arm-none-eabi-size', objects)
  const files = stdout
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => {
      const [text, data, bss] = line.trim().split(/\s+/).map(Number)
      return { file: basename(line.trim().split(/\s+/).pop()), text, data, bss }
    })
  const total = (key) => files.reduce((sum, f) => sum + f[key], 0)
  return { files, text: total('text'), data: total('data'), bss: total('bss'), flash: total('text') + total('data') }
}

/**
 * The CRC's per-byte loop in the ARM build: the instructions from the target
 * of FlashFile::crc32's backward branch to that branch.
 */
export async function crcInnerLoop(object) {
  const { stdout } = await run('arm-none-eabi-objdump', ['-d', '-C', object])
  const body = stdout.split(/\n(?=[0-9a-f]+ <)/).find((part) => /^[0-9a-f]+ <FlashFile::crc32\(/.test(part))
  if (!body) throw new Error('FlashFile::crc32 not found in the ARM object')
  const code = [...body.matchAll(/^\s*([0-9a-f]+):\s+(?:[0-9a-f]{4}\s?)+\s+(\S+)\s*(.*)$/gm)].map(
    ([, addr, mnemonic, operands]) => ({ addr: parseInt(addr, 16), mnemonic, operands }),
  )
  const back = code.find(
    (i) => /^b/.test(i.mnemonic) && parseInt(i.operands, 16) <= i.addr && parseInt(i.operands, 16) >= code[0].addr,
  )
  if (!back) throw new Error('no backward branch in FlashFile::crc32')
  const start = parseInt(back.operands, 16)
  return code.filter((i) => i.addr >= start && i.addr <= back.addr).map((i) => i.mnemonic)
}

/** The STM32F205 in the Electron runs at 120 MHz with 3 flash wait states. */
export const CPU_MHZ = 120
// Flash wait-state cycles per byte behind the ART accelerator (see
// firmware/README.md): a data-cache miss every 16 image bytes (0.2) and
// 7 in 8 CRC-table loads missing the 8-line data cache (2.6).
const WAIT_CYCLES_PER_BYTE = 0.2 + 2.6

/**
 * Cycles per byte of the CRC loop on a Cortex-M3: loads 2, the taken branch
 * 1 + 2 for the pipeline refill, everything else 1; plus the wait states.
 */
export function crcCost(loop) {
  const core = loop.reduce((cycles, m) => cycles + (/^ld/.test(m) ? 2 : /^b/.test(m) ? 3 : 1), 0)
  const perByte = core + WAIT_CYCLES_PER_BYTE
  return {
    instructions: loop.length,
    coreCycles: core,
    cyclesPerByte: perByte,
    usPerKiB: Math.round(((perByte * 1024) / CPU_MHZ) * 10) / 10,
  }
}
