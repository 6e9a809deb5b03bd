"""Edit the secrets file (``.streamlit/secrets.toml``) safely: comments and layout kept, never half-written.

Plain Python (no streamlit). ``lib.access.save_user`` (accounts) and ``lib.datasets_registry.save_dataset``
(data sets) both go through :func:`edit_secrets`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import tomlkit
import tomlkit.exceptions
from filelock import FileLock
from tomlkit.toml_document import TOMLDocument


@contextmanager
def edit_secrets(path: Path) -> Iterator[TOMLDocument]:
    """Yield the secrets file as a tomlkit document; write it back when the block ends without an error.

    Under a lock beside the file (two commands at once do not lose each other's change), written to a
    temporary file readable by its owner only (it holds password hashes), fsynced, then swapped in.

    Raises:
        ValueError: the file is not valid TOML or not UTF-8 (a French message; nothing is modified).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path) + ".lock", timeout=10):
        try:
            document = tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() else tomlkit.document()
        except (tomlkit.exceptions.ParseError, UnicodeDecodeError) as error:
            raise ValueError(f"{path} : fichier TOML illisible ({error}) ; rien n'a été modifié") from None
        yield document
        temp = path.with_name(f".{path.name}.tmp")
        descriptor = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(tomlkit.dumps(document))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)


def super_table(document: TOMLDocument, name: str):
    """The table ``[name]`` holding one sub-table per entry (``[users.x]``, ``[jeux.x]``), made when missing."""
    if name not in document:
        document.add(tomlkit.nl())
        document.add(name, tomlkit.table(is_super_table=True))
    return document[name]
