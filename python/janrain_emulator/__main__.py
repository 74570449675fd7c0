"""``python -m janrain_emulator ARGS``: the emulator binary with the same arguments."""

import os
import subprocess
import sys

from janrain_emulator import find_binary


def main() -> int:
    binary = find_binary()
    if sys.platform == "win32":
        return subprocess.call([binary, *sys.argv[1:]])
    os.execv(binary, [binary, *sys.argv[1:]])
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
