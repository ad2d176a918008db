#!/usr/bin/env python3
"""Proves that `cargo build` (make demo, make build) and `cargo test` (make
test, make check, make test-compat) use one and the same artifact of every
dependency: asks cargo for the artifacts each command uses (building what is
missing) and fails when a crate resolves to two different files, as it did
when a dev-dependency turned on one more feature of tokio and every crate
above tokio (the whole AWS SDK) was compiled twice.

usage: tools/one_build.py [--release | --self-test]   (--release compares
`cargo build --release` with `cargo bench --no-run`, which make bench and make
release run; --self-test shows the comparison catches a crate built twice)
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


def built_twice(a, b):
    """The crates `cargo build` (a) and `cargo test` (b) do not share: each
    unit the first made must be among the second's (the second may use more
    units of a crate, e.g. a build-dependency a test uses too), and
    aws-sdk-ec2 must be one library. Returns lines naming the crates."""
    twice = [
        f"  {key[1]} ({key[0]}): {sorted(a[key])} vs {sorted(b[key])}"
        for key in sorted(set(a) & set(b))
        if not a[key] <= b[key]
    ]
    sdk = [k for k in a if k[1] == "aws_sdk_ec2"]
    sdk_files = {os.path.basename(f) for k in sdk for f in a[k] | b.get(k, set()) if f.endswith(".rlib")}
    if len(sdk_files) > 1 and not twice:
        twice.append(f"  aws_sdk_ec2: {sorted(sdk_files)}")
    return twice


def self_test():
    """The comparison sees a crate built twice (as when a dev-dependency's
    extra feature of tokio made every crate above it a second unit), and
    passes a shared build."""
    key = ("aws-sdk-ec2@1", "aws_sdk_ec2", ("lib",))
    one = {key: {"/t/deps/libaws_sdk_ec2-aaaa.rlib"}}
    other = {key: {"/t/deps/libaws_sdk_ec2-bbbb.rlib"}}
    assert built_twice(one, one) == [], "a shared build passes"
    assert built_twice(one, other), "a second artifact of aws-sdk-ec2 is seen"
    extra = {key: one[key] | {"/t/deps/libaws_sdk_ec2-bbbb.rlib"}}
    assert built_twice(one, extra), "two artifacts in the second build are seen"
    print("one_build: self-test passed")


def main():
    if "--self-test" in sys.argv[1:]:
        return self_test()
    release = "--release" in sys.argv[1:]
    first = ["build", "--release"] if release else ["build"]
    second = ["bench", "--no-run"] if release else ["test", "--no-run"]
    a, b = artifacts(first), artifacts(second)
    sdk = [k for k in a if k[1] == "aws_sdk_ec2"]
    if not sdk:
        sys.exit(f"one_build: `cargo {' '.join(first)}` reported no aws-sdk-ec2 artifact: nothing was compared")
    twice = built_twice(a, b)
    if twice:
        print(f"one_build: `cargo {' '.join(first)}` and `cargo {' '.join(second)}` build these crates twice:")
        print("\n".join(twice))
        print("(`cargo tree -e features` shows which feature a dev-dependency adds)")
        sys.exit(1)
    sdk_file = sorted(os.path.basename(f) for k in sdk for f in a[k] if f.endswith(".rlib"))[0]
    shared = len(set(a) & set(b))
    print(f"one_build: `cargo {' '.join(first)}` and `cargo {' '.join(second)}` share all {shared} crates they both use "
          f"(aws-sdk-ec2: one artifact, {sdk_file})")


if __name__ == "__main__":
    main()
