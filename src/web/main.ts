/**
 * The page: choose a folder or an image file, connect a board (or the
 * emulated Electron running in the page), then Write, Verify or Read with
 * the CLI's own jobs. The page renders their events; it decides nothing a
 * job decides.
 */
import { describeBoards, type Board } from '../device/board.js'
import { sleep, waitForBoard } from '../device/wait.js'
import type { PhaseTimes } from '../jobs/events.js'
import { EmulatedUsb } from '../emulator/bus.js'
import { EmulatedElectron } from '../emulator/electron.js'
import { fileData, parseImage } from '../image/parse.js'
import { pull } from '../jobs/pull.js'
import { LEAVE_GONE_MS, WEB_BACK_RUNNING_MS, WEB_GONE_POLL_MS } from '../timeouts.js'
import { push } from '../jobs/push.js'
import { verify } from '../jobs/verify.js'
import type { UsbBusLike } from '../usb/types.js'
import { fromDroppedFolder, fromFolderInput, openImageFile, packFolder, type Chosen } from './pack.js'
import { bytes, formatBytes, plural } from '../text.js'
import { byId, element } from '../ui/dom.js'
import { setStatus, showError, showEvent, showListing } from './view.js'
import { BROWSERS } from './hints.js'
import { connectBoard, explainUsbError, webUsb } from './webusb.js'

interface Target {
  bus: UsbBusLike
  serial: string
  label: string
  /** The page may see the board running firmware (it was found so), so after a leave it waits for it to come back. */
  seenRunning: boolean
  emulated?: EmulatedElectron
}

let chosen: Chosen | undefined
let target: Target | undefined
let busy = false

function refresh(): void {
  byId<HTMLButtonElement>('write').disabled = busy || !chosen || !target
  byId<HTMLButtonElement>('verify').disabled = busy || !target
  byId<HTMLButtonElement>('read').disabled = busy || !target
  byId<HTMLButtonElement>('connect').disabled = busy
  byId<HTMLButtonElement>('try').disabled = busy
}

/** Runs one step with the controls locked; its failure becomes the status, with the next step. */
async function step(what: string, work: () => Promise<void>): Promise<void> {
  busy = true
  refresh()
  byId('log').replaceChildren()
  try {
    await work()
  } catch (error) {
    showError(what, explainUsbError(error))
  } finally {
    busy = false
    byId('phase').textContent = ''
    refresh()
  }
}

function choose(next: Chosen): void {
  chosen = next
  const skipped = next.skipped.length ? ` (${next.skipped.length} left out: ${next.skipped.join(', ')})` : ''
  byId('chosen').textContent = `${next.source}: ${formatBytes(next.image.length)}-byte image${skipped}`
  showListing(byId('listing'), next.listing)
  setStatus(target ? `Ready to write ${next.source}.` : `${next.source} is ready; now connect a board.`)
}

function chooseFrom(what: string, work: () => Promise<Chosen>): Promise<void> {
  chosen = undefined
  byId('listing').replaceChildren()
  byId('chosen').textContent = ''
  return step(what, async () => choose(await work()))
}

function useBoard(bus: UsbBusLike, board: Board, seenRunning: boolean, emulated?: EmulatedElectron): void {
  target = {
    bus,
    serial: board.info.serial,
    label: `${emulated ? 'emulated ' : ''}${board.info.label} ${board.info.serial}`,
    seenRunning,
    emulated,
  }
  byId('board').textContent = `Connected: ${target.label}.`
  setStatus(
    chosen
      ? `Ready to write ${chosen.source}.`
      : 'Connected; choose a folder or an image file to write, or Verify or Read the board.',
  )
  refresh()
}

/**
 * A job that left DFU mode returns when the bootloader acknowledges; the board
 * resets about 500 ms later and comes back running firmware. Wait for both,
 * so the next step neither opens the old device as it drops off the bus nor
 * spends its own connect phase waiting for the new one (a board permitted
 * only in DFU mode is not seen coming back: that wait is left out).
 */
async function settle(phases: PhaseTimes): Promise<void> {
  if (phases.leave === undefined) return
  const { bus, serial, seenRunning } = target!
  for (const deadline = Date.now() + LEAVE_GONE_MS; Date.now() < deadline; await sleep(WEB_GONE_POLL_MS)) {
    const boards = describeBoards(await bus.getDevices())
    if (!boards.some((b) => b.info.serial === serial && b.info.mode === 'dfu')) break
  }
  if (seenRunning) await waitForBoard(bus, (b) => b.info.serial === serial, WEB_BACK_RUNNING_MS)
}

const jobOptions = () => ({ bus: target!.bus, serial: target!.serial, onEvent: showEvent })

async function write(): Promise<void> {
  const what = chosen!
  setStatus(`Writing ${what.source} to ${target!.label}; keep the board connected until it is verified.`)
  const result = await push({ ...jobOptions(), image: what.image })
  await settle(result.phases)
  const files = `${plural(what.listing.files.length, 'file')} (${bytes(what.image.length)})`
  const phases = Object.entries(result.phases)
    .filter(([, ms]) => ms >= 50)
    .map(([phase, ms]) => `${phase} ${(ms / 1000).toFixed(1)} s`)
    .join(', ')
  setStatus(
    result.status === 'unchanged'
      ? `${target!.label} already holds ${files} of ${what.source}; nothing was written. Read back and verified.`
      : `Wrote ${files} of ${what.source} to ${target!.label} in ${(result.totalMs / 1000).toFixed(1)} s (${phases})${result.retried ? ' with one retry' : ''}. Read back and verified.`,
    'done',
  )
}

async function check(): Promise<void> {
  const result = await verify({ ...jobOptions(), expected: chosen?.image })
  await settle(result.phases)
  showListing(byId('listing'), result.listing)
  const holds = `${target!.label} holds ${plural(result.listing.files.length, 'file')}`
  if (result.status === 'match') setStatus(`${holds}, the same as ${chosen!.source}: verified.`, 'done')
  else if (result.status === 'valid')
    setStatus(`${holds} in a consistent image (choose a folder or image file to compare): verified.`, 'done')
  else if (result.status === 'no-image')
    setStatus(
      `${target!.label} holds no valid image: ${result.listing.problems.map((p) => p.message).join(' ')} Write one.`,
      'error',
    )
  else
    setStatus(
      `${target!.label} holds other data than ${chosen!.source}${result.differences.length ? `: ${result.differences.map((d) => `${d.name} (${d.reason})`).join(', ')}` : ''}. Write to replace it.`,
      'error',
    )
}

function download(name: string, bytes: Uint8Array, label: string): HTMLElement {
  const link = element('a', label, { download: name.replaceAll('/', '_') })
  link.setAttribute('href', URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>])))
  return link
}

async function read(): Promise<void> {
  const result = await pull({ ...jobOptions() })
  await settle(result.phases)
  const listing = parseImage(result.bytes)
  showListing(byId('listing'), listing, (index) =>
    download(
      listing.files[index].name,
      fileData(result.bytes, listing.files[index]),
      `Download ${listing.files[index].name}`,
    ),
  )
  byId('chosen').replaceChildren(download(`${result.serial}.bin`, result.bytes, 'Download the image'))
  setStatus(
    `Read ${plural(listing.files.length, 'file')} (${bytes(result.bytes.length)}) from ${target!.label}.`,
    'done',
  )
}

function tryWithoutBoard(): void {
  target?.emulated?.close()
  const bus = new EmulatedUsb()
  // Datasheet timing: the page shows the speed a real board would give.
  const board = new EmulatedElectron({ timing: 'datasheet', mode: 'firmware' })
  bus.attach(board)
  // For tests and the curious: faults can be injected from the console (flashdataEmulator.faults).
  Object.assign(globalThis, { flashdataEmulator: board })
  useBoard(
    bus,
    {
      info: {
        serial: board.serialNumber,
        label: 'Electron',
        platform: 'electron',
        mode: 'firmware',
        vendorId: 0x2b04,
        productId: 0xc00a,
      },
    } as Board,
    true,
    board,
  )
}

function wire(): void {
  const folder = byId<HTMLInputElement>('folder')
  folder.addEventListener('change', () => {
    if (!folder.files?.length) return
    const { source, entries } = fromFolderInput(folder.files)
    void chooseFrom('Packing the folder', () => packFolder(source, entries))
  })
  const imageFile = byId<HTMLInputElement>('image')
  imageFile.addEventListener('change', () => {
    const file = imageFile.files?.[0]
    if (file) void chooseFrom('Opening the image file', () => openImageFile(file))
  })
  const drop = byId('drop')
  drop.addEventListener('dragover', (event) => {
    event.preventDefault()
    drop.classList.add('over')
  })
  drop.addEventListener('dragleave', () => drop.classList.remove('over'))
  drop.addEventListener('drop', (event) => {
    event.preventDefault()
    drop.classList.remove('over')
    const entry = event.dataTransfer?.items[0]?.webkitGetAsEntry()
    const file = event.dataTransfer?.files[0]
    if (entry?.isDirectory)
      void chooseFrom('Packing the folder', async () =>
        packFolder(entry.name, await fromDroppedFolder(entry as FileSystemDirectoryEntry)),
      )
    else if (file) void chooseFrom('Opening the image file', () => openImageFile(file))
  })
  byId('connect').addEventListener(
    'click',
    () =>
      void step('Connecting', async () => {
        const { bus, board, wasRunning } = await connectBoard()
        target?.emulated?.close()
        useBoard(bus, board, wasRunning)
      }),
  )
  byId('try').addEventListener('click', () => tryWithoutBoard())
  byId('write').addEventListener('click', () => void step('Write', write))
  byId('verify').addEventListener('click', () => void step('Verify', check))
  byId('read').addEventListener('click', () => void step('Read', read))
  try {
    webUsb()
    setStatus('Choose a folder or an image file, then connect a board (or try without one).')
  } catch (error) {
    showError(undefined, error)
  }
  byId('browsers').textContent = BROWSERS
  refresh()
}

wire()
