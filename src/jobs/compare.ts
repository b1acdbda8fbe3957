/** Byte comparison helpers shared by push and verify. */
export { firstDifference } from '../image/compare.js'
