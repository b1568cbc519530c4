/** A response the engine must mask and cannot: it is not forwarded (fail closed). */
export class MaskingRefused extends Error {
  override readonly name = 'MaskingRefused';
}
