import { afterEach, expect } from 'vitest'
import { strayFlashOperations } from './helpers/guard.js'

// Safety net for every test: no emulated board may see an erase or a write
// outside sector 9 unless the test says it means to (allowWritesOutsideDataSector).
afterEach(() => {
  expect(strayFlashOperations(), 'flash operations outside sector 9').toEqual([])
})
