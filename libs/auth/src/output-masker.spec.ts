import { OutputMasker } from './output-masker';

/** Feeds `text` cut at `cuts` as a shipper reads it (each read starts at what the previous settled). */
function ship(masker: OutputMasker, text: string, cuts: number[]): string {
  const bytes = Buffer.from(text);
  let offset = 0;
  let out = '';
  for (const end of [...cuts, bytes.length]) {
    const r = masker.mask(bytes.subarray(offset, end), end === bytes.length);
    out += r.out.toString();
    offset += r.consumed;
  }
  return out;
}

describe('OutputMasker', () => {
  const token = `ry_abcdefghijkl_${'x'.repeat(43)}`;

  it('masks a secret and an issued token', () => {
    const m = new OutputMasker(['s3cr3t-value']);
    expect(ship(m, `key=s3cr3t-value token=${token}\n`, [])).toBe('key=[MASKED] token=[MASKED]\n');
  });

  it('masks a secret cut across two reads, at every possible cut', () => {
    const m = new OutputMasker(['s3cr3t-value']);
    const text = 'before s3cr3t-value after\n';
    for (let cut = 1; cut < text.length; cut++) expect(ship(m, text, [cut])).toBe('before [MASKED] after\n');
  });

  it('masks a token cut across reads', () => {
    const m = new OutputMasker([]);
    const text = `a ${token} b`;
    for (const cut of [3, 10, 20, 40, 60]) expect(ship(m, text, [cut])).toBe('a [MASKED] b');
  });

  it('holds nothing back that cannot become a secret, and everything once the stream has ended', () => {
    const m = new OutputMasker(['s3cr3t-value']);
    expect(m.mask(Buffer.from('plain line\n'), false).consumed).toBe(11);
    expect(m.mask(Buffer.from('ends with s3cr'), false)).toEqual({ out: Buffer.from('ends with '), consumed: 10 });
    expect(m.mask(Buffer.from('ends with s3cr'), true).out.toString()).toBe('ends with s3cr');
  });

  it('keeps multi-byte characters intact around a masked value', () => {
    const m = new OutputMasker(['pässwörd']);
    expect(ship(m, 'é pässwörd ü', [4])).toBe('é [MASKED] ü');
  });
});
