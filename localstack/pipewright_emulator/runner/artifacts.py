"""Artifacts: zip files in and out of moto's S3, in process.

Object keys follow CodePipeline's layout: ``<pipeline name[:20]>/<artifact name[:10]>/<7
random chars>`` (e.g. ``my-pipeline/SourceArti/aB3dE9x``).
"""

from __future__ import annotations

import io
import os
import shutil
import stat
import zipfile

from ..common import random_suffix
from ..patches import ensure


def s3_backend(account: str):
    ensure("s3")
    from moto.s3.models import s3_backends

    return s3_backends[account]["aws"]


def artifact_key(pipeline_name: str, artifact_name: str) -> str:
    return f"{pipeline_name[:20]}/{artifact_name[:10]}/{random_suffix(7)}"


class ArtifactError(Exception):
    pass


def put(account: str, bucket: str, key: str, data: bytes) -> dict:
    backend = s3_backend(account)
    try:
        obj = backend.put_object(bucket, key, data)
    except Exception as err:  # noqa: BLE001
        code = getattr(err, "error_type", None) or getattr(err, "code", None) or type(err).__name__
        raise ArtifactError(f"{code}: could not write s3://{bucket}/{key}") from None
    return {"bucket": bucket, "key": key, "etag": obj.etag.strip('"'), "version_id": obj.version_id}


def get(account: str, bucket: str, key: str, version_id: str | None = None):
    """The FakeKey object (``.value`` bytes, ``.version_id``, ``.etag``)."""
    backend = s3_backend(account)
    try:
        obj = backend.get_object(bucket, key, version_id=version_id)
    except Exception as err:  # noqa: BLE001
        code = getattr(err, "error_type", None) or type(err).__name__
        raise ArtifactError(f"{code}: could not read s3://{bucket}/{key}") from None
    if obj is None:
        raise ArtifactError(f"NoSuchKey: could not read s3://{bucket}/{key}")
    return obj


def bucket_exists(account: str, bucket: str) -> bool:
    try:
        s3_backend(account).get_bucket(bucket)
        return True
    except Exception:  # noqa: BLE001
        return False


def zip_directory(base: str, files: list[str] | None = None, flatten: bool = False) -> bytes:
    """Zip ``files`` (relative paths under base; default all) keeping exec bits."""
    if files is None:
        files = []
        for root, dirs, names in os.walk(base):
            dirs.sort()
            for name in sorted(names):
                files.append(os.path.relpath(os.path.join(root, name), base))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for rel in files:
            full = os.path.join(base, rel)
            arcname = os.path.basename(rel) if flatten else rel.replace(os.sep, "/")
            info = zipfile.ZipInfo(arcname)
            mode = os.stat(full).st_mode
            info.external_attr = (stat.S_IMODE(mode) | stat.S_IFREG) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(full, "rb") as fh:
                zf.writestr(info, fh.read())
    return buf.getvalue()


def zip_files(files: dict[str, tuple[str, bytes]]) -> bytes:
    """Zip path -> (git mode, content) as CodePipeline's CodeCommit source does."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(files):
            mode, content = files[path]
            info = zipfile.ZipInfo(path)
            perm = 0o755 if mode == "100755" else 0o644
            info.external_attr = (perm | stat.S_IFREG) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, content)
    return buf.getvalue()


def extract(data: bytes, dest: str) -> None:
    """Unzip keeping exec bits; refuses paths that would escape dest."""
    os.makedirs(dest, exist_ok=True)
    root = os.path.realpath(dest)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ArtifactError("the artifact is not a zip file") from None
    with zf:
        for info in zf.infolist():
            target = os.path.realpath(os.path.join(dest, info.filename))
            if not (target == root or target.startswith(root + os.sep)):
                continue
            if info.is_dir():
                os.makedirs(target, exist_ok=True)
                continue
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with zf.open(info) as src, open(target, "wb") as out:
                shutil.copyfileobj(src, out)
            perm = (info.external_attr >> 16) & 0o777
            if perm:
                os.chmod(target, perm | 0o600)


def copy_tree(src: str, dest: str) -> None:
    shutil.copytree(src, dest, dirs_exist_ok=True, symlinks=True,
                    ignore=shutil.ignore_patterns(".git"))
