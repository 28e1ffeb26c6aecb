// docker's ps/images SIZE columns use go-units HumanSizeWithPrecision(n, 3): three significant digits.
const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];

export function humanSize3(bytes: number): string {
  let size = bytes;
  let i = 0;
  while (size >= 1000 && i < UNITS.length - 1) {
    size /= 1000;
    i++;
  }
  return String(Number(size.toPrecision(3))) + UNITS[i];
}
