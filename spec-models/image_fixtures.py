"""Generates tiny encoded images for tessera's ImageDecoder tests, with PIL's decoded pixels.

Run with Debian's python3 + python3-pil:  /usr/bin/python3 spec-models/image_fixtures.py
Writes spec-models/images/<name>.<ext> plus <name>.rgb.npy (PIL convert('RGB')) and
<name>.l.npy (PIL convert('L')): the references the property tests compare against exactly.
"""
import io
import os
import struct
import zlib

import numpy as np
from PIL import Image

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'images')
rng = np.random.default_rng(1234)


def pattern(w, h, bands):
    y, x = np.mgrid[0:h, 0:w]
    base = [(x * 255 // max(w - 1, 1)), (y * 255 // max(h - 1, 1)), ((x + y) * 37) % 256, (x * y * 11) % 256]
    arr = np.stack(base[:bands], axis=-1).astype(np.int32)
    arr = arr + rng.integers(-20, 21, size=arr.shape)
    return np.clip(arr, 0, 255).astype(np.uint8)


def rgb(w, h):
    return Image.fromarray(pattern(w, h, 3), 'RGB')


def save(name, data):
    path = os.path.join(OUT, name)
    with open(path, 'wb') as f:
        f.write(data)
    im = Image.open(io.BytesIO(data))
    np.save(path + '.rgb.npy', np.array(im.convert('RGB')))
    np.save(path + '.l.npy', np.array(im.convert('L')))


def pil_bytes(im, fmt, **kw):
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


# ---------------------------------------------------------------- PNG (own encoder: all types)
def png_chunk(kind, body):
    return struct.pack('>I', len(body)) + kind + body + struct.pack('>I', zlib.crc32(kind + body) & 0xffffffff)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def filter_rows(rows, bpp):
    out = bytearray()
    prev = bytes(len(rows[0])) if rows else b''
    for i, row in enumerate(rows):
        f = i % 5
        out.append(f)
        for j, v in enumerate(row):
            a = row[j - bpp] if j >= bpp else 0
            b = prev[j]
            c = prev[j - bpp] if j >= bpp else 0
            pred = [0, a, b, (a + b) >> 1, paeth(a, b, c)][f]
            out.append((v - pred) & 255)
        prev = row
    return out


def pack_row(samples, depth):
    if depth == 8:
        return bytes(int(s) for s in samples)
    if depth == 16:
        return b''.join(struct.pack('>H', int(s)) for s in samples)
    bits = ''.join(format(int(s), '0%db' % depth) for s in samples)
    bits += '0' * (-len(bits) % 8)
    return bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits), 8))


def png(w, h, color_type, depth, interlace, palette=None, trns=None):
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color_type]
    maxv = (1 << depth) - 1
    samples = rng.integers(0, maxv + 1, size=(h, w, channels))
    if color_type == 3:
        samples %= len(palette) // 3
    bpp = max(1, channels * depth // 8)
    raw = bytearray()
    passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)] if interlace else [(0, 0, 1, 1)]
    for x0, y0, dx, dy in passes:
        sub = samples[y0::dy, x0::dx]
        if sub.size == 0:
            continue
        rows = [pack_row(r.reshape(-1), depth) for r in sub]
        raw += filter_rows(rows, bpp)
    body = b'\x89PNG\r\n\x1a\n' + png_chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, depth, color_type, 0, 0, interlace))
    if palette is not None:
        body += png_chunk(b'PLTE', bytes(palette))
    if trns is not None:
        body += png_chunk(b'tRNS', trns)
    z = zlib.compress(bytes(raw), 9)
    body += png_chunk(b'IDAT', z[: len(z) // 2]) + png_chunk(b'IDAT', z[len(z) // 2:])
    return body + png_chunk(b'IEND', b'')


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.remove(os.path.join(OUT, f))
    pal = [int(v) for v in rng.integers(0, 256, size=16 * 3)]
    for ct, depths in {0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16]}.items():
        for d in depths:
            for il in (0, 1):
                if il and d not in (1, 8, 16):
                    continue
                p = pal[: 3 * min(16, 1 << d)] if ct == 3 else None
                trns = b'\x00\x80' if ct == 3 else None
                save(f'png_c{ct}_d{d}_i{il}.png', png(9 if il else 7, 10 if il else 5, ct, d, il, p, trns))

    # ------------------------------------------------------------ BMP
    save('bmp_rgb24.bmp', pil_bytes(rgb(7, 5), 'BMP'))
    save('bmp_rgba32.bmp', pil_bytes(Image.fromarray(pattern(6, 4, 4), 'RGBA'), 'BMP'))
    save('bmp_l8.bmp', pil_bytes(rgb(5, 3).convert('L'), 'BMP'))
    save('bmp_p8.bmp', pil_bytes(rgb(6, 4).convert('P', palette=Image.ADAPTIVE, colors=40), 'BMP'))
    save('bmp_1.bmp', pil_bytes(rgb(13, 3).convert('1'), 'BMP'))
    p4 = rgb(7, 3).convert('P', palette=Image.ADAPTIVE, colors=16)
    save('bmp_p4.bmp', bmp_indexed(p4, 4))
    save('bmp_p4_rle.bmp', bmp_indexed(p4, 4, rle=True))
    p8 = rgb(9, 4).convert('P', palette=Image.ADAPTIVE, colors=30)
    save('bmp_p8_rle.bmp', bmp_indexed(p8, 8, rle=True))
    flip = bytearray(pil_bytes(rgb(5, 4), 'BMP'))
    h = struct.unpack_from('<i', flip, 22)[0]
    rows = [flip[54 + i * 16: 54 + (i + 1) * 16] for i in range(h)]
    flip[54:54 + 16 * h] = b''.join(reversed(rows))
    struct.pack_into('<i', flip, 22, -h)
    save('bmp_topdown.bmp', bytes(flip))
    save('bmp_rgb565.bmp', bmp16(rgb(5, 3), True))
    save('bmp_rgb555.bmp', bmp16(rgb(5, 3), False))

    # ------------------------------------------------------------ PNM
    save('pnm_p4.pbm', pil_bytes(rgb(11, 3).convert('1'), 'PPM'))
    save('pnm_p5.pgm', pil_bytes(rgb(5, 3).convert('L'), 'PPM'))
    save('pnm_p6.ppm', pil_bytes(rgb(5, 3), 'PPM'))
    g = pattern(4, 3, 1)[:, :, 0]
    c = pattern(3, 2, 3)
    save('pnm_p1.pbm', b'P1\n# comment\n4 3\n' + ' '.join('1' if v > 128 else '0' for v in g.reshape(-1)).encode() + b'\n')
    save('pnm_p2.pgm', b'P2\n4 3\n15\n' + ' '.join(str(v * 15 // 255) for v in g.reshape(-1)).encode() + b'\n')
    save('pnm_p3.ppm', b'P3\n3 2 # size\n255\n' + ' '.join(str(v) for v in c.reshape(-1)).encode() + b'\n')
    save('pnm_p6_1000.ppm', b'P6\n3 2\n1000\n' + b''.join(struct.pack('>H', int(v) * 1000 // 255) for v in c.reshape(-1)))
    save('pnm_p5_100.pgm', b'P5 4 3 100\n' + bytes(int(v) * 100 // 255 for v in g.reshape(-1)))
    save('pnm_p5_16.pgm', b'P5\n4 3\n65535\n' + b''.join(struct.pack('>H', int(v) * 3) for v in g.reshape(-1)))

    # ------------------------------------------------------------ JPEG
    for sub, tag in ((0, '444'), (1, '422'), (2, '420')):
        save(f'jpeg_{tag}.jpg', pil_bytes(rgb(19, 13), 'JPEG', quality=85, subsampling=sub))
        save(f'jpeg_{tag}_prog.jpg', pil_bytes(rgb(19, 13), 'JPEG', quality=90, subsampling=sub, progressive=True))
    save('jpeg_gray.jpg', pil_bytes(rgb(11, 9).convert('L'), 'JPEG', quality=75))
    save('jpeg_gray_prog.jpg', pil_bytes(rgb(11, 9).convert('L'), 'JPEG', quality=75, progressive=True))
    save('jpeg_q100_opt.jpg', pil_bytes(rgb(17, 9), 'JPEG', quality=100, optimize=True, subsampling=2))
    save('jpeg_q5.jpg', pil_bytes(rgb(17, 9), 'JPEG', quality=5))
    for w, h in ((1, 1), (2, 3), (4, 4), (5, 2)):  # chroma widths <= 2 take libjpeg's plain upsampler
        save(f'jpeg_420_{w}x{h}.jpg', pil_bytes(rgb(w, h), 'JPEG', quality=90, subsampling=2))
    save('jpeg_422_3x17_prog.jpg', pil_bytes(rgb(3, 17), 'JPEG', quality=90, subsampling=1, progressive=True))
    save('jpeg_restart.jpg', jpeg_with_restarts(pattern(21, 19, 3), 2))
    save('jpeg_restart_gray.jpg', jpeg_with_restarts(pattern(13, 11, 1)[:, :, 0], 1))

    # ------------------------------------------------------------ TIFF
    for comp in ('raw', 'tiff_lzw', 'tiff_adobe_deflate', 'packbits'):
        save(f'tiff_rgb_{comp}.tif', pil_bytes(rgb(7, 5), 'TIFF', compression=comp))
        save(f'tiff_l_{comp}.tif', pil_bytes(rgb(6, 5).convert('L'), 'TIFF', compression=comp))
    save('tiff_1.tif', pil_bytes(rgb(11, 3).convert('1'), 'TIFF'))
    save('tiff_p.tif', pil_bytes(rgb(6, 3).convert('P', palette=Image.ADAPTIVE, colors=20), 'TIFF'))
    save('tiff_rgba.tif', pil_bytes(Image.fromarray(pattern(5, 4, 4), 'RGBA'), 'TIFF', compression='tiff_lzw'))
    save('tiff_strips.tif', pil_bytes(rgb(6, 9), 'TIFF', compression='tiff_lzw', strip_size=36))

    # ------------------------------------------------------------ WebP
    save('webp_lossless.webp', pil_bytes(rgb(9, 7), 'WEBP', lossless=True))
    save('webp_lossless_rgba.webp', pil_bytes(Image.fromarray(pattern(8, 5, 4), 'RGBA'), 'WEBP', lossless=True))
    save('webp_lossy.webp', pil_bytes(rgb(19, 13), 'WEBP', quality=80))
    save('webp_lossy_q20.webp', pil_bytes(rgb(33, 17), 'WEBP', quality=20))
    save('webp_lossy_q95_m6.webp', pil_bytes(rgb(40, 35), 'WEBP', quality=95, method=6))
    save('webp_lossy_m0.webp', pil_bytes(rgb(24, 9), 'WEBP', quality=60, method=0))
    save('webp_lossy_alpha.webp', pil_bytes(Image.fromarray(pattern(18, 11, 4), 'RGBA'), 'WEBP', quality=70))
    save('webp_lossy_1x1.webp', pil_bytes(rgb(1, 1), 'WEBP', quality=70))
    save('webp_lossy_2x5.webp', pil_bytes(rgb(2, 5), 'WEBP', quality=70))
    save('webp_lossless_palette.webp', pil_bytes(rgb(10, 7).quantize(5).convert('RGB'), 'WEBP', lossless=True))
    save('webp_lossless_palette40.webp', pil_bytes(rgb(12, 9).quantize(40).convert('RGB'), 'WEBP', lossless=True))
    save('webp_lossless_m6.webp', pil_bytes(rgb(30, 21), 'WEBP', lossless=True, quality=100, method=6))
    save('webp_lossless_m0.webp', pil_bytes(rgb(30, 21), 'WEBP', lossless=True, quality=0, method=0))

    # ------------------------------------------------------------ JPEG 2000 (reversible 5/3)
    save('j2k_rgb.jp2', pil_bytes(rgb(19, 13), 'JPEG2000'))
    save('j2k_gray.j2k', pil_bytes(rgb(9, 11).convert('L'), 'JPEG2000', no_jp2=True))
    save('j2k_rgba.jp2', pil_bytes(Image.fromarray(pattern(7, 6, 4), 'RGBA'), 'JPEG2000'))
    save('j2k_tiles.jp2', pil_bytes(rgb(21, 17), 'JPEG2000', tile_size=(8, 8), tile_offset=(0, 0)))
    save('j2k_offset.jp2', pil_bytes(rgb(13, 10), 'JPEG2000', offset=(3, 5), tile_offset=(1, 2), tile_size=(8, 8)))
    save('j2k_small_cb.jp2', pil_bytes(rgb(37, 23), 'JPEG2000', codeblock_size=(4, 4), num_resolutions=3))
    save('j2k_layers.jp2', pil_bytes(rgb(24, 20), 'JPEG2000', quality_mode='rates', quality_layers=[40, 10, 1]))
    for order in ('RLCP', 'RPCL', 'PCRL', 'CPRL'):
        save(f'j2k_{order.lower()}.jp2', pil_bytes(rgb(11, 9), 'JPEG2000', progression=order, quality_layers=[20, 1]))
    save('j2k_1x1.jp2', pil_bytes(rgb(1, 1), 'JPEG2000'))
    # irreversible 9/7 + ICT (float in OpenJPEG; these pin its exact rounding)
    save('j2k97_rgb.jp2', pil_bytes(rgb(19, 13), 'JPEG2000', irreversible=True))
    save('j2k97_gray.j2k', pil_bytes(rgb(10, 7).convert('L'), 'JPEG2000', irreversible=True, no_jp2=True))
    save('j2k97_tiles.jp2', pil_bytes(rgb(21, 17), 'JPEG2000', irreversible=True, tile_size=(8, 8)))
    save('j2k97_offset.jp2', pil_bytes(rgb(13, 10), 'JPEG2000', irreversible=True, offset=(3, 5), tile_offset=(1, 2), tile_size=(8, 8)))
    save('j2k97_layers.jp2', pil_bytes(rgb(32, 24), 'JPEG2000', irreversible=True, quality_mode='rates', quality_layers=[30, 8]))
    save('j2k97_1x1.jp2', pil_bytes(rgb(1, 1), 'JPEG2000', irreversible=True))
    save('j2k97_3x2.jp2', pil_bytes(rgb(3, 2), 'JPEG2000', irreversible=True))


def bmp_indexed(im, bits, rle=False):
    w, h = im.size
    idx = np.array(im)
    palette = im.getpalette()[: 3 * (1 << bits)]
    palette += [0] * (3 * (1 << bits) - len(palette))
    pal = b''.join(bytes([palette[3 * i + 2], palette[3 * i + 1], palette[3 * i], 0]) for i in range(1 << bits))
    data = bytearray()
    if rle:
        for y in range(h - 1, -1, -1):
            row = [int(v) for v in idx[y]]
            x = 0
            while x < w:
                run = 1
                while x + run < w and run < 255 and row[x + run] == row[x] and (bits == 8 or True):
                    run += 1
                if bits == 4:
                    data += bytes([run, (row[x] << 4) | row[x]])
                else:
                    data += bytes([run, row[x]])
                x += run
            data += b'\x00\x00'
        data += b'\x00\x01'
        comp = 2 if bits == 4 else 1
    else:
        stride = ((w * bits + 31) >> 3) & ~3
        for y in range(h - 1, -1, -1):
            bitsstr = ''.join(format(int(v), '0%db' % bits) for v in idx[y])
            bitsstr += '0' * (stride * 8 - len(bitsstr))
            data += bytes(int(bitsstr[i:i + 8], 2) for i in range(0, len(bitsstr), 8))
        comp = 0
    header = struct.pack('<IiiHHIIiiII', 40, w, h, 1, bits, comp, len(data), 2835, 2835, 1 << bits, 0)
    off = 14 + 40 + len(pal)
    return b'BM' + struct.pack('<IHHI', off + len(data), 0, 0, off) + header + pal + bytes(data)


def bmp16(im, is565):
    w, h = im.size
    a = np.array(im).astype(np.int32)
    stride = ((w * 16 + 31) >> 3) & ~3
    data = bytearray()
    for y in range(h - 1, -1, -1):
        row = bytearray()
        for x in range(w):
            r, g, b = a[y, x]
            v = ((r >> 3) << 11 | (g >> 2) << 5 | (b >> 3)) if is565 else ((r >> 3) << 10 | (g >> 3) << 5 | (b >> 3))
            row += struct.pack('<H', v)
        data += row + b'\x00' * (stride - len(row))
    masks = struct.pack('<III', 0xF800, 0x7E0, 0x1F) if is565 else b''
    header = struct.pack('<IiiHHIIiiII', 40, w, h, 1, 16, 3 if is565 else 0, len(data), 2835, 2835, 0, 0)
    off = 14 + 40 + len(masks)
    return b'BM' + struct.pack('<IHHI', off + len(data), 0, 0, off) + header + masks + bytes(data)


def jpeg_with_restarts(pixels, interval):
    """A minimal baseline JPEG encoder (4:2:0 YCbCr or gray, Annex K tables) that writes DRI/RSTn."""
    zz = [0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21,
          28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61,
          54, 47, 55, 62, 63]
    dc_bits = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]
    dc_vals = list(range(12))
    ac_bits = [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d]
    ac_vals = bytes.fromhex(
        '01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435363738393a'
        '434445464748494a535455565758595a636465666768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9'
        'aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9fa')

    def codes(bits, vals):
        table, code, k = {}, 0, 0
        for length in range(1, 17):
            for _ in range(bits[length - 1]):
                table[vals[k]] = (code, length)
                code += 1
                k += 1
            code <<= 1
        return table
    dct_t, act_t = codes(dc_bits, dc_vals), codes(ac_bits, ac_vals)
    q = np.full(64, 6)
    n = np.arange(8)
    basis = np.cos((2 * n[:, None] + 1) * n[None, :] * np.pi / 16) * np.where(n == 0, np.sqrt(1 / 8), np.sqrt(2 / 8))[None, :]
    gray = pixels.ndim == 2
    h, w = pixels.shape[:2]
    if gray:
        planes = [pixels.astype(float)]
        samp = [(1, 1)]
    else:
        p = pixels.astype(float)
        y = 0.299 * p[..., 0] + 0.587 * p[..., 1] + 0.114 * p[..., 2]
        cb = 128 - 0.168736 * p[..., 0] - 0.331264 * p[..., 1] + 0.5 * p[..., 2]
        cr = 128 + 0.5 * p[..., 0] - 0.418688 * p[..., 1] - 0.081312 * p[..., 2]
        planes = [y, cb, cr]
        samp = [(2, 2), (1, 1), (1, 1)]
    mh, mv = max(s[0] for s in samp), max(s[1] for s in samp)
    mcux, mcuy = -(-w // (8 * mh)), -(-h // (8 * mv))
    padded = []
    for plane, (sh, sv) in zip(planes, samp):
        full = np.pad(plane, ((0, mcuy * 8 * mv - h), (0, mcux * 8 * mh - w)), mode='edge')
        f = mh // sh
        padded.append(full.reshape(full.shape[0] // f, f, full.shape[1] // f, f).mean(axis=(1, 3)) if f > 1 else full)
    out = bytearray()
    acc = [0, 0]

    def put(code, length):
        for i in range(length - 1, -1, -1):
            acc[0] = (acc[0] << 1) | ((code >> i) & 1)
            acc[1] += 1
            if acc[1] == 8:
                out.append(acc[0])
                if acc[0] == 0xFF:
                    out.append(0)
                acc[0] = acc[1] = 0

    def flush():
        if acc[1]:
            put((1 << (8 - acc[1])) - 1, 8 - acc[1])

    def magnitude(v):
        s = int(abs(v)).bit_length()
        return s, (v if v >= 0 else v + (1 << s) - 1)
    pred = [0] * len(planes)
    for m in range(mcux * mcuy):
        if m and m % interval == 0:
            flush()
            out += bytes([0xFF, 0xD0 + ((m // interval - 1) % 8)])
            pred = [0] * len(planes)
        my, mx = divmod(m, mcux)
        for c, (sh, sv) in enumerate(samp):
            for by in range(sv):
                for bx in range(sh):
                    y0, x0 = (my * sv + by) * 8, (mx * sh + bx) * 8
                    block = padded[c][y0:y0 + 8, x0:x0 + 8] - 128
                    coef = (basis.T @ block @ basis).reshape(-1)
                    qc = [int(round(coef[zz[k]] / q[k])) for k in range(64)]
                    s, bits = magnitude(qc[0] - pred[c])
                    pred[c] = qc[0]
                    put(*dct_t[s])
                    put(bits, s)
                    run = 0
                    for k in range(1, 64):
                        if qc[k] == 0:
                            run += 1
                            continue
                        while run > 15:
                            put(*act_t[0xF0])
                            run -= 16
                        s, bits = magnitude(qc[k])
                        put(*act_t[(run << 4) | s])
                        put(bits, s)
                        run = 0
                    if run:
                        put(*act_t[0x00])
    flush()

    def seg(marker, body):
        return bytes([0xFF, marker]) + struct.pack('>H', len(body) + 2) + body
    ncomp = len(planes)
    head = b'\xff\xd8' + seg(0xDB, bytes([0]) + bytes(int(v) for v in q))
    head += seg(0xC0, struct.pack('>BHHB', 8, h, w, ncomp) + b''.join(bytes([c + 1, (sh << 4) | sv, 0]) for c, (sh, sv) in enumerate(samp)))
    head += seg(0xC4, bytes([0x00]) + bytes(dc_bits) + bytes(dc_vals)) + seg(0xC4, bytes([0x10]) + bytes(ac_bits) + ac_vals)
    head += seg(0xDD, struct.pack('>H', interval))
    head += seg(0xDA, bytes([ncomp]) + b''.join(bytes([c + 1, 0x00]) for c in range(ncomp)) + bytes([0, 63, 0]))
    return head + bytes(out) + b'\xff\xd9'


if __name__ == '__main__':
    main()
