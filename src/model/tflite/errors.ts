/** Every way a .tflite import can fail; the message names the file and what is wrong with it. */
export class TfliteImportError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'TfliteImportError';
  }
}
