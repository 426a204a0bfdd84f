// A deterministic tar writer: the same entries always give the same bytes. Owners are numeric,
// times are one fixed value, and entries are written in byte order of their paths, so a layer's
// digest depends on its content only.

export type TarEntry =
  | { readonly type: 'dir'; readonly path: string; readonly mode: number; readonly uid?: number }
  | { readonly type: 'file'; readonly path: string; readonly mode: number; readonly data: Buffer }
  | { readonly type: 'symlink'; readonly path: string; readonly target: string };

const BLOCK = 512;

/** Writes the entries (any order) as one POSIX (pax) tar archive with every timestamp `mtime`. */
export function writeTar(entries: readonly TarEntry[], mtime: number): Buffer {
  const sorted = [...entries].sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
  const chunks: Buffer[] = [];
  let previous = '';
  for (const entry of sorted) {
    if (entry.path === previous) throw new Error(`the layer has two entries for ${entry.path}`);
    previous = entry.path;
    chunks.push(...entryBlocks(entry, mtime));
  }
  chunks.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(chunks);
}

function entryBlocks(entry: TarEntry, mtime: number): Buffer[] {
  const name = entry.type === 'dir' ? `${entry.path}/` : entry.path;
  const linkname = entry.type === 'symlink' ? entry.target : '';
  const data = entry.type === 'file' ? entry.data : Buffer.alloc(0);
  const owner = entry.type === 'dir' ? (entry.uid ?? 0) : 0;
  const mode = entry.type === 'symlink' ? 0o777 : entry.mode;
  const typeflag = entry.type === 'file' ? '0' : entry.type === 'dir' ? '5' : '2';
  const blocks: Buffer[] = [];
  // Names or link targets too long for the ustar fields travel in a pax extended header.
  const pax: Record<string, string> = {};
  if (Buffer.byteLength(name) > 100) pax.path = name;
  if (Buffer.byteLength(linkname) > 100) pax.linkpath = linkname;
  if (Object.keys(pax).length > 0) {
    const body = Buffer.from(
      Object.entries(pax)
        .map(([k, v]) => paxRecord(k, v))
        .join(''),
    );
    blocks.push(
      header({
        name: 'PaxHeaders/entry',
        mode: 0o644,
        owner: 0,
        size: body.length,
        mtime,
        typeflag: 'x',
        linkname: '',
      }),
    );
    blocks.push(padded(body));
  }
  blocks.push(
    header({
      name: truncate(name),
      mode,
      owner,
      size: data.length,
      mtime,
      typeflag,
      linkname: truncate(linkname),
    }),
  );
  if (data.length > 0) blocks.push(padded(data));
  return blocks;
}

/** A pax record is "<length> <key>=<value>\n", where the length counts its own digits too. */
function paxRecord(key: string, value: string): string {
  const rest = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(rest) + 1;
  while (String(length).length + Buffer.byteLength(rest) !== length) length += 1;
  return `${length}${rest}`;
}

const truncate = (s: string) => Buffer.from(s).subarray(0, 100).toString();

const padded = (data: Buffer) => Buffer.concat([data, Buffer.alloc((BLOCK - (data.length % BLOCK)) % BLOCK)]);

interface Header {
  readonly name: string;
  readonly mode: number;
  readonly owner: number;
  readonly size: number;
  readonly mtime: number;
  readonly typeflag: string;
  readonly linkname: string;
}

function header(h: Header): Buffer {
  const block = Buffer.alloc(BLOCK);
  const octal = (value: number, offset: number, width: number) =>
    block.write(`${value.toString(8).padStart(width - 1, '0')}\0`, offset, width, 'ascii');
  block.write(h.name, 0, 100);
  octal(h.mode, 100, 8);
  octal(h.owner, 108, 8);
  octal(h.owner, 116, 8);
  octal(h.size, 124, 12);
  octal(h.mtime, 136, 12);
  block.write(' '.repeat(8), 148, 8, 'ascii');
  block.write(h.typeflag, 156, 1, 'ascii');
  block.write(h.linkname, 157, 100);
  block.write('ustar\0', 257, 6, 'ascii');
  block.write('00', 263, 2, 'ascii');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return block;
}
