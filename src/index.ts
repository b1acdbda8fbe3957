export * from './errors.js'
export type * from './usb/types.js'
export * from './image/index.js'
export * from './files/index.js'
