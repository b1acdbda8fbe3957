/**
 * What Device OS 2.3.1 on a Gen 2 board (Electron) does with each control
 * request type once the USB request channel has handed it over: the result
 * code, the reply data (protobuf, as nanopb encodes it) and what the system
 * does after the reply has been fetched.
 *
 * Source: particle-iot/device-os tag v2.3.1, system/src/system_control_internal.cpp
 * SystemControl::processRequest (lines 107-358), the handlers in
 * system/src/control/config.cpp, and the reply messages in firmware-protobuf's
 * control/config.proto (proto3: fields at their default value are not encoded).
 */

/** system_ctrl_request_type (system/inc/system_control.h lines 41-128), the types modelled here. */
const CTRL_REQUEST = {
  ECHO: 1,
  DEVICE_ID: 20,
  SERIAL_NUMBER: 21,
  SYSTEM_VERSION: 30,
  NCP_FIRMWARE_VERSION: 31,
  GET_SYSTEM_CAPABILITIES: 32,
  RESET: 40,
  DFU_MODE: 50,
  SAFE_MODE: 60,
  START_LISTENING: 70,
  STOP_LISTENING: 71,
  GET_DEVICE_MODE: 72,
  SET_DEVICE_SETUP_DONE: 73,
  IS_DEVICE_SETUP_DONE: 74,
  IS_CLAIMED: 201,
  START_NYAN_SIGNAL: 230,
  STOP_NYAN_SIGNAL: 231,
  CLOUD_GET_CONNECTION_STATUS: 300,
  CLOUD_CONNECT: 301,
  CLOUD_DISCONNECT: 302,
} as const

/** system_error_t values (services/inc/system_error.h lines 25-33). */
export const SYSTEM_ERROR = { NONE: 0, UNKNOWN: -100, NOT_SUPPORTED: -120, CANCELLED: -140 } as const

/** What the system does once the host has the reply: each after HAL_Delay_Milliseconds(1000). */
export type AfterReply = 'reset' | 'dfu' | 'safe-mode'

export interface ControlOutcome {
  result: number
  reply?: Uint8Array
  after?: AfterReply
}

/** The board state the requests read and change. */
export interface DeviceOsState {
  /** The 12-byte device id as 24 hex digits. */
  readonly deviceId: string
  /** The 15-character serial number in OTP, or null when the OTP holds none. */
  readonly otpSerial: string | null
  readonly version: string
  listening: boolean
}

/** DeviceMode in control/config.proto. */
const DEVICE_MODE = { NORMAL_MODE: 0, LISTENING_MODE: 1 } as const

/** Handles one request of `type` with its payload, as processRequest does. */
export function processControlRequest(type: number, payload: Uint8Array, state: DeviceOsState): ControlOutcome {
  switch (type) {
    case CTRL_REQUEST.ECHO:
      return { result: SYSTEM_ERROR.NONE, reply: payload.slice() }
    case CTRL_REQUEST.DEVICE_ID:
      // config.cpp getDeviceId: bytes2hexbuf_lower_case into GetDeviceIdReply.id.
      return { result: SYSTEM_ERROR.NONE, reply: protoString(state.deviceId.toLowerCase()) }
    case CTRL_REQUEST.SERIAL_NUMBER:
      // config.cpp getSerialNumber returns hal_get_device_serial_number's -1 when the OTP serial is not printable.
      return state.otpSerial === null
        ? { result: -1 }
        : { result: SYSTEM_ERROR.NONE, reply: protoString(state.otpSerial) }
    case CTRL_REQUEST.SYSTEM_VERSION:
      return { result: SYSTEM_ERROR.NONE, reply: protoString(state.version) }
    case CTRL_REQUEST.GET_SYSTEM_CAPABILITIES:
      // No capability flag on the Electron (HAL_PLATFORM_COMPRESSED_BINARIES is 0): an empty message.
      return { result: SYSTEM_ERROR.NONE, reply: new Uint8Array(0) }
    case CTRL_REQUEST.RESET:
      return { result: SYSTEM_ERROR.NONE, after: 'reset' }
    case CTRL_REQUEST.DFU_MODE:
      return { result: SYSTEM_ERROR.NONE, after: 'dfu' }
    case CTRL_REQUEST.SAFE_MODE:
      return { result: SYSTEM_ERROR.NONE, after: 'safe-mode' }
    case CTRL_REQUEST.START_LISTENING:
    case CTRL_REQUEST.STOP_LISTENING:
      state.listening = type === CTRL_REQUEST.START_LISTENING
      return { result: SYSTEM_ERROR.NONE }
    case CTRL_REQUEST.GET_DEVICE_MODE:
      return {
        result: SYSTEM_ERROR.NONE,
        reply: protoVarint(state.listening ? DEVICE_MODE.LISTENING_MODE : DEVICE_MODE.NORMAL_MODE),
      }
    case CTRL_REQUEST.IS_CLAIMED:
    case CTRL_REQUEST.CLOUD_GET_CONNECTION_STATUS:
      // IsClaimedReply.claimed = false, GetConnectionStatusReply.status = DISCONNECTED: defaults, so empty messages.
      return { result: SYSTEM_ERROR.NONE, reply: new Uint8Array(0) }
    case CTRL_REQUEST.START_NYAN_SIGNAL:
    case CTRL_REQUEST.STOP_NYAN_SIGNAL:
    case CTRL_REQUEST.CLOUD_CONNECT:
    case CTRL_REQUEST.CLOUD_DISCONNECT:
      return { result: SYSTEM_ERROR.NONE }
    default:
      // NCP firmware version, setup-done (no HAL_PLATFORM_NCP / HAL_PLATFORM_DCT_SETUP_DONE on Gen 2),
      // network interfaces, Wi-Fi, cellular (not compiled in), and any type processRequest does not know,
      // which the application's default handler (wiring/src/user.cpp lines 174-193) also refuses.
      // Types Device OS handles but the emulator does not model (factory reset, which has the bootloader
      // restore a factory image; module info, diagnostics, keys, server address, firmware update, ...)
      // answer the same: a host must not rely on them here.
      return { result: SYSTEM_ERROR.NOT_SUPPORTED }
  }
}

/** Field 1, wire type 2 (length-delimited); an empty string is the default and is not encoded. */
function protoString(value: string): Uint8Array {
  if (value === '') return new Uint8Array(0)
  const bytes = new TextEncoder().encode(value)
  return Uint8Array.of(0x0a, ...varint(bytes.length), ...bytes)
}

/** Field 1, wire type 0 (varint); 0 is the default and is not encoded. */
function protoVarint(value: number): Uint8Array {
  return value === 0 ? new Uint8Array(0) : Uint8Array.of(0x08, ...varint(value))
}

function varint(value: number): number[] {
  const out: number[] = []
  for (let v = value; ; v >>>= 7) {
    if (v < 0x80) return [...out, v]
    out.push((v & 0x7f) | 0x80)
  }
}
