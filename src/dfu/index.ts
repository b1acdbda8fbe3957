export { DfuseDevice, type DfuseOpenOptions, type LeaveResult, type ProgressCallback } from './dfuse.js'
export { type AddressRange, isParticleGen2Dfu } from './guard.js'
export {
  ELECTRON_PROTECTED_END,
  findPage,
  pagesInRange,
  parseMemoryLayout,
  protectBelow,
  withElectronProtection,
  type MemoryLayout,
  type MemoryPage,
  type MemorySegment,
} from './layout.js'
export {
  DfuRequest,
  DfuState,
  DfuStatus,
  DfuseCommand,
  parseStatus,
  stateName,
  statusName,
  type DfuFunctionalDescriptor,
  type DfuStatusRecord,
} from './protocol.js'
export { type DfuseStats, type TransferKind, usbError } from './transport.js'
