export { EmulatedElectron, type EmulatedElectronOptions, type DeviceChangeListener } from './electron.js'
export { EmulatedUsb, EmulatedConnectionEvent } from './bus.js'
export { EmulatedUsbDevice } from './usb-device.js'
export { ElectronUsbFunction, UsbFunctionGoneError } from './usb-function.js'
export type { SetupPacket, SetupReply } from './setup.js'
export type { FaultInjector, FlashOperation, LeftoverDfuState, RequestFaultOptions } from './faults.js'
export {
  DATASHEET_TIMING,
  INSTANT_TIMING,
  type EmulatorTiming,
  type EmulatorTimingName,
  type TimingOption,
} from './timing.js'
export type { FlashFile, FlashLogEntry } from './flash.js'
export type { BoardMode, Platform } from './descriptors.js'
export { openFlashFile } from './flash-file.js'
