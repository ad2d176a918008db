#!/usr/bin/env python3
"""Proves that `cargo build` (make demo, make build) and `cargo test` (make
test, make check, make test-compat) use one and the same artifact of every
dependency: asks cargo for the artifacts each command uses (building what is
missing) and fails when a crate resolves to two different files, as it did
when a dev-dependency turned on one more feature of tokio and every crate
above tokio (the whole AWS SDK) was compiled twice.

usage: tools/one_build.py [--release]   (--release compares `cargo build
--release` with `cargo bench --no-run`, which make bench and make release run)
"""

import json
import os
import subprocess
import sys
from collections import defaultdict


def artifacts(args):
    """{package name: {artifact files}} of one cargo command."""
    cargo = os.environ.get("CARGO", "cargo")
    out = subprocess.run(
        [cargo, *args, "--message-format=json-render-diagnostics"],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    found = defaultdict(set)
    for line in out.splitlines():
        if not line.startswith("{"):
            continue
        msg = json.loads(line)
        if msg.get("reason") != "compiler-artifact":
            continue
        if "test" in msg["target"]["kind"] or msg["profile"].get("test"):
            continue  # test harnesses exist only in the test build
        name = msg["package_id"].split("#")[-1] if "#" in msg["package_id"] else msg["target"]["name"]
        for f in msg["filenames"]:
            # the hashed files under deps/ and build/; the unhashed copies
            # cargo puts beside them (target/debug/<bin>) say nothing
            if ("/deps/" in f or "/build/" in f) and (f.endswith((".rlib", ".rmeta")) or os.access(f, os.X_OK)):
                found[(name, msg["target"]["name"], tuple(msg["target"]["kind"]))].add(f)
    return found


def main():
    release = "--release" in sys.argv[1:]
    first = ["build", "--release"] if release else ["build"]
    second = ["bench", "--no-run"] if release else ["test", "--no-run"]
    a, b = artifacts(first), artifacts(second)
    sdk = [k for k in a if k[1] == "aws_sdk_ec2"]
    if not sdk:
        sys.exit(f"one_build: `cargo {' '.join(first)}` reported no aws-sdk-ec2 artifact: nothing was compared")
    twice = []
    for key in sorted(set(a) & set(b)):
        # `cargo test` may use more units of a crate (a build-dependency
        # also used by a test), but must reuse every one `cargo build` made
        if not a[key] <= b[key]:
            twice.append(f"  {key[1]} ({key[0]}): {sorted(a[key])} vs {sorted(b[key])}")
    sdk_files = {os.path.basename(f) for k in sdk for f in a[k] | b.get(k, set()) if f.endswith(".rlib")}
    if twice or len(sdk_files) != 1:
        print(f"one_build: `cargo {' '.join(first)}` and `cargo {' '.join(second)}` build these crates twice:")
        print("\n".join(twice) or f"  aws_sdk_ec2: {sorted(sdk_files)}")
        print("(`cargo tree -e features` shows which feature a dev-dependency adds)")
        sys.exit(1)
    shared = len(set(a) & set(b))
    print(f"one_build: `cargo {' '.join(first)}` and `cargo {' '.join(second)}` share all {shared} crates they both use "
          f"(aws-sdk-ec2: one artifact, {next(iter(sdk_files))})")


if __name__ == "__main__":
    main()
