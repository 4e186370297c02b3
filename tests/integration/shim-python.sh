#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Python writers on one name of a cowlink set: open modes, os.truncate,
# mmap, os.utime/chmod, shutil; and Python reads that must not break.
. "$(dirname "$0")/lib.sh"
need_shim
need python3
# The interpreter itself, not a version manager's wrapper script (slow).
PY=$(python3 -c 'import sys; print(sys.executable)')
py() { printf '%q -c %q' "$PY" "$1"; }

writer py-r+ "$(py 'f = open("b", "r+"); f.seek(5); f.write("PY"); f.close()')"
writer py-a "$(py 'open("b", "a").write("appended\n")')"
writer py-w "$(py 'open("b", "w").write("rewritten\n")')"
writer py-rb+ "$(py 'f = open("b", "rb+"); f.write(b"\0\1"); f.close()')"
writer py-os-open "$(py 'import os; fd = os.open("b", os.O_WRONLY); os.pwrite(fd, b"ZZ", 7); os.close(fd)')"
writer py-os-truncate "$(py 'import os; os.truncate("b", 12)')"
writer py-ftruncate "$(py 'import os; fd = os.open("b", os.O_RDWR); os.ftruncate(fd, 4); os.close(fd)')"
writer py-mmap "$(py '
import mmap
with open("b", "r+b") as f:
    m = mmap.mmap(f.fileno(), 0)
    m[0:3] = b"XYZ"
    m.flush()
    m.close()')"
writer -t py-utime "$(py 'import os; os.utime("b", (1000000000, 1200000000))')"
writer -t py-chmod "$(py 'import os; os.chmod("b", 0o600)')"
writer -t py-setxattr "$(py 'import os; os.setxattr("b", "user.py", b"1")')"
writer py-copyfile "$(py 'import shutil; shutil.copyfile("/etc/hostname", "b")')"
writer py-pathlib "$(py 'import pathlib; pathlib.Path("b").write_text("pathlib\n")')"

reader py-read "$(py 'print(len(open("b").read()))')"
reader py-mmap-read "$(py '
import mmap
with open("b", "rb") as f:
    m = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)
    print(m[0:4])')"
reader py-stat "$(py 'import os; s = os.stat("b"); print(oct(s.st_mode), s.st_nlink)')"
