"""Writes what provider registries and mirrors take into dist/:

  terraform-provider-kafka_<version>_<os>_<arch>.zip  (the binary, named
      terraform-provider-kafka_v<version>, at the top of the archive)
  terraform-provider-kafka_<version>_manifest.json    (plugin protocol 6.0)
  terraform-provider-kafka_<version>_SHA256SUMS       (both files above)

usage: release.py BINARY VERSION OS_ARCH DIST_DIR
"""

import hashlib
import json
import os
import stat
import sys
import zipfile


def main() -> int:
    binary, version, os_arch, dist = sys.argv[1:5]
    os.makedirs(dist, exist_ok=True)
    base = f"terraform-provider-kafka_{version}"
    archive = os.path.join(dist, f"{base}_{os_arch}.zip")
    info = zipfile.ZipInfo(f"terraform-provider-kafka_v{version}", date_time=(2026, 1, 1, 0, 0, 0))
    info.external_attr = (stat.S_IFREG | 0o755) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    with open(binary, "rb") as f, zipfile.ZipFile(archive, "w") as z:
        z.writestr(info, f.read())
    manifest = os.path.join(dist, f"{base}_manifest.json")
    with open(manifest, "w") as f:
        json.dump({"version": 1, "metadata": {"protocol_versions": ["6.0"]}}, f, indent=2)
        f.write("\n")
    sums = []
    for path in sorted([archive, manifest]):
        with open(path, "rb") as f:
            sums.append(f"{hashlib.sha256(f.read()).hexdigest()}  {os.path.basename(path)}\n")
    with open(os.path.join(dist, f"{base}_SHA256SUMS"), "w") as f:
        f.writelines(sums)
    for name in sorted(os.listdir(dist)):
        print(f"dist/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
