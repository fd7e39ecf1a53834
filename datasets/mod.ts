/**
 * datasets/: seeded, reproducible, engine-agnostic workload inputs. Same seed, same bytes, on any
 * machine. benchsuite/ imports only this file.
 */
export { Prng, randomPermutation, splitmix32 } from './prng.ts'
export { ZipfianGenerator, YCSB_ZIPFIAN_THETA, zeta } from './zipfian.ts'
export { createKeyChooser, parseKeyOrder, describeKeyOrder } from './key-order.ts'
export type { KeyChooser, KeyChooserOptions, KeyOrderSpec } from './key-order.ts'
export { encodeKey, decodeKeyIndex, checkKeySize, KEY_SIZE_BYTES_MIN, KEY_SIZE_BYTES_MAX } from './key-format.ts'
export { createValueSizer, parseValueSize, describeValueSize, ETC_VALUE_SIZE, VALUE_SIZE_BYTES_MAX } from './value-size.ts'
export type { ValueSizer, ValueSizeSpec } from './value-size.ts'
export { createValueSource, parseValueContent, describeValueContent, valueHeaderIndex, VALUE_POOL_BYTES, VALUE_HEADER_BYTES } from './value-content.ts'
export type { ValueContentSpec, ValueSource } from './value-content.ts'
