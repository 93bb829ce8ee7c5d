/** A tar archive's regular file. */
export interface TarFile {
  path: string;
  mode: number;
  data: Buffer;
}

const BLOCK = 512;
const MTIME = 1_600_000_000;

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function header(name: string, prefix: string, size: number, mode: number, type: string): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(mode, 8), 100, 8, 'ascii');
  h.write(octal(0, 8), 108, 8, 'ascii');
  h.write(octal(0, 8), 116, 8, 'ascii');
  h.write(octal(size, 12), 124, 12, 'ascii');
  h.write(octal(MTIME, 12), 136, 12, 'ascii');
  h.fill(' ', 148, 156);
  h.write(type, 156, 1, 'ascii');
  h.write('ustar\0', 257, 6, 'ascii');
  h.write('00', 263, 2, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + ' ', 148, 8, 'ascii');
  return h;
}

const pad = (n: number) => Buffer.alloc((BLOCK - (n % BLOCK)) % BLOCK);

/** A PAX record `"<len> key=value\n"`, whose length counts its own digits. */
function paxRecord(key: string, value: string): Buffer {
  const rest = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(rest) + 1;
  while (String(len).length + Buffer.byteLength(rest) !== len) len = String(len).length + Buffer.byteLength(rest);
  return Buffer.from(`${len}${rest}`, 'utf8');
}

/** ustar (PAX for names that do not fit), fixed owners and times: the same files make the same bytes. */
export function writeTar(files: readonly TarFile[]): Buffer {
  const out: Buffer[] = [];
  for (const f of files) {
    const bytes = Buffer.byteLength(f.path);
    let name = f.path;
    let prefix = '';
    if (bytes > 100) {
      const cut = f.path.lastIndexOf('/', 155);
      const fits = cut > 0 && Buffer.byteLength(f.path.slice(0, cut)) <= 155 && Buffer.byteLength(f.path.slice(cut + 1)) <= 100;
      if (fits) {
        prefix = f.path.slice(0, cut);
        name = f.path.slice(cut + 1);
      } else {
        const pax = paxRecord('path', f.path);
        out.push(header('PaxHeader', '', pax.length, 0o644, 'x'), pax, pad(pax.length));
        name = Buffer.from(f.path).subarray(0, 100).toString('utf8');
      }
    }
    out.push(header(name, prefix, f.data.length, f.mode, '0'), f.data, pad(f.data.length));
  }
  out.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(out);
}

const text = (b: Buffer, start: number, len: number) => {
  const s = b.subarray(start, start + len);
  const nul = s.indexOf(0);
  return s.subarray(0, nul === -1 ? s.length : nul).toString('utf8');
};
const number = (b: Buffer, start: number, len: number) => parseInt(text(b, start, len).trim() || '0', 8);

/** The regular files of a tar (ustar, PAX and GNU long names); links, devices and the rest are left out. */
export function readTar(archive: Buffer): TarFile[] {
  const files: TarFile[] = [];
  let longName: string | undefined;
  for (let at = 0; at + BLOCK <= archive.length;) {
    const h = archive.subarray(at, at + BLOCK);
    if (h.every((b) => b === 0)) break;
    const size = number(h, 124, 12);
    const type = String.fromCharCode(h[156] || 48);
    const data = archive.subarray(at + BLOCK, at + BLOCK + size);
    at += BLOCK + size + ((BLOCK - (size % BLOCK)) % BLOCK);
    if (type === 'x') {
      const m = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(data.toString('utf8'));
      if (m) longName = m[1];
      continue;
    }
    if (type === 'L') {
      longName = text(data, 0, data.length);
      continue;
    }
    const prefix = text(h, 345, 155);
    const path = longName ?? (prefix ? `${prefix}/${text(h, 0, 100)}` : text(h, 0, 100));
    longName = undefined;
    if (type === '0' || type === '7') files.push({ path, mode: number(h, 100, 8), data: Buffer.from(data) });
  }
  return files;
}
