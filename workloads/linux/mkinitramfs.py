#!/usr/bin/env python3
"""Writes an initramfs: a cpio archive in the "newc" format the kernel
unpacks (Documentation/driver-api/early-userspace/buffer-format.rst),
uncompressed. Deterministic: fixed inode numbers, owner root, mtime 0.

usage: mkinitramfs.py OUT.cpio ENTRY...
  ENTRY is  dir:PATH:MODE   file:PATH:MODE:SOURCE   slink:PATH:TARGET
            nod:PATH:MODE:c|b:MAJOR:MINOR      (MODE in octal)
"""
import os
import stat
import sys


def header(ino, mode, size, name, rdev=(0, 0)):
    fields = [ino, mode, 0, 0, 1, 0, size, 0, 0, rdev[0], rdev[1], len(name) + 1, 0]
    return b"070701" + b"".join(b"%08X" % f for f in fields)


def pad4(n):
    return b"\0" * ((4 - n % 4) % 4)


def record(ino, mode, name, data=b"", rdev=(0, 0)):
    h = header(ino, mode, len(data), name, rdev) + name.encode() + b"\0"
    return h + pad4(len(h)) + data + pad4(len(data))


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    out = bytearray()
    for ino, entry in enumerate(argv[1:], start=1):
        kind, path, *rest = entry.split(":")
        path = path.lstrip("/")
        if kind == "dir":
            out += record(ino, stat.S_IFDIR | int(rest[0], 8), path)
        elif kind == "file":
            with open(rest[1], "rb") as f:
                out += record(ino, stat.S_IFREG | int(rest[0], 8), path, f.read())
        elif kind == "slink":
            out += record(ino, stat.S_IFLNK | 0o777, path, rest[0].encode())
        elif kind == "nod":
            t = stat.S_IFCHR if rest[1] == "c" else stat.S_IFBLK
            out += record(ino, t | int(rest[0], 8), path, rdev=(int(rest[2]), int(rest[3])))
        else:
            sys.exit("mkinitramfs.py: bad entry " + entry)
    out += record(0, 0, "TRAILER!!!")
    out += pad4(len(out))
    tmp = argv[0] + ".tmp"
    with open(tmp, "wb") as f:
        f.write(out)
    os.replace(tmp, argv[0])


if __name__ == "__main__":
    main(sys.argv[1:])
