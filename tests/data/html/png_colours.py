#!/usr/bin/env python3
"""Decodes a PNG (8-bit greyscale, RGB or RGBA, not interlaced: what Chromium writes) with zlib
alone and prints JSON: its width, height and how many pixels have each colour given as
arguments (#rrggbb, compared exactly)."""
import json
import struct
import sys
import zlib
from collections import Counter


def decode(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit("not a PNG: bad signature")
    pos, idat, ihdr = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if zlib.crc32(kind + body) != struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0]:
            raise SystemExit("bad CRC in chunk %r" % kind)
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    width, height, depth, ctype, _, _, interlace = ihdr
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(ctype)
    if depth != 8 or channels is None or interlace:
        raise SystemExit("unsupported PNG: depth %d, colour type %d, interlace %d" %
                         (depth, ctype, interlace))
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    out = bytearray(height * stride)
    prev = bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        c = channels
        if f == 1:
            for i in range(c, stride):
                line[i] = (line[i] + line[i - c]) & 255
        elif f == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev))
        elif f == 3:
            for i in range(stride):
                left = line[i - c] if i >= c else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif f == 4:
            for i in range(stride):
                a = line[i - c] if i >= c else 0
                b = prev[i]
                cc = prev[i - c] if i >= c else 0
                p = a + b - cc
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - cc)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else cc)
                line[i] = (line[i] + pred) & 255
        elif f != 0:
            raise SystemExit("bad filter %d on row %d" % (f, y))
        out[y * stride:(y + 1) * stride] = line
        prev = line
    if channels >= 3:
        pixels = Counter(zip(out[0::channels], out[1::channels], out[2::channels]))
    else:
        pixels = Counter((v, v, v) for v in out[0::channels])
    return width, height, pixels


def main():
    width, height, pixels = decode(sys.argv[1])
    counts = {}
    for hexcolour in sys.argv[2:]:
        rgb = tuple(int(hexcolour.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4))
        counts[hexcolour] = pixels.get(rgb, 0)
    print(json.dumps({"width": width, "height": height, "counts": counts}))


main()
