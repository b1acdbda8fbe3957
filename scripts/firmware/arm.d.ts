// Types of arm.js, for the TypeScript tests that use it.
export const FIRMWARE: string
export const STUB: string
export const LIBRARY_SOURCES: string[]
export const EXAMPLE_SOURCES: string[]
export const ARM_FLAGS: string[]
export const hasArmToolchain: boolean
export const CPU_MHZ: number

export interface ToolRun {
  code: number
  stdout: string
  stderr: string
}
export function compileForArm(sources: string[], outDir: string): Promise<ToolRun & { objects: string[] }>

export interface ObjectSize {
  file: string
  text: number
  data: number
  bss: number
}
export function armSizes(
  objects: string[],
): Promise<{ files: ObjectSize[]; text: number; data: number; bss: number; flash: number }>
export function crcInnerLoop(object: string): Promise<string[]>
export function crcCost(loop: string[]): {
  instructions: number
  coreCycles: number
  cyclesPerByte: number
  usPerKiB: number
}
