"""Packing a directory as a gzip tar whose bytes depend only on the files' names, contents and modes (so it is uploaded once)."""

import fnmatch
import gzip
import hashlib
import os
import stat
import tarfile
import tempfile

#: Flame's default excludes, and what Node projects and git keep beside the code.
DEFAULT_EXCLUDES = (".venv", "__pycache__", ".gitignore", "*.pyc", "node_modules", ".git")
_MTIME = 1_600_000_000


def should_exclude(relpath, patterns):
    """Flame's rule: a pattern matches the path inside the package or its base name (`data/` names a directory)."""
    name = os.path.basename(relpath)
    for pattern in patterns:
        p = pattern.rstrip("/")
        if p and (fnmatch.fnmatch(relpath, p) or fnmatch.fnmatch(name, p)):
            return True
    return False


def _files(root, patterns):
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        rel_dir = "" if rel_dir == "." else rel_dir
        keep = []
        for d in sorted(dirnames):
            rel = os.path.join(rel_dir, d)
            if not os.path.islink(os.path.join(dirpath, d)) and not should_exclude(rel, patterns):
                keep.append(d)
        dirnames[:] = keep
        for f in sorted(filenames):
            full = os.path.join(dirpath, f)
            rel = os.path.join(rel_dir, f)
            if os.path.islink(full) or should_exclude(rel, patterns):
                continue
            if stat.S_ISREG(os.stat(full).st_mode):
                yield rel, full


def pack(root, name, excludes=()):
    """Writes `{tmp}/{name}.tar.gz`; answers (path, sha256, size, number of files)."""
    patterns = list(DEFAULT_EXCLUDES) + list(excludes or ())
    out_dir = tempfile.mkdtemp(prefix="runyard-package-")
    path = os.path.join(out_dir, f"{name}.tar.gz")
    count = 0
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
        with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for rel, full in _files(root, patterns):
                info = tar.gettarinfo(full, arcname=rel)
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                info.mtime = _MTIME
                info.mode = 0o755 if info.mode & 0o111 else 0o644
                with open(full, "rb") as f:
                    tar.addfile(info, f)
                count += 1
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return path, digest.hexdigest(), os.path.getsize(path), count
