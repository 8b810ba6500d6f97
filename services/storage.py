"""Where uploaded files live: one small interface (put, get, open) whose default keeps them in the database.

Keeping the bytes in the database means that several workers or hosts on one PostgreSQL see the same files
and that a database backup holds them too. A key is the content's sha256, so storing the same file twice
keeps one copy, and another backend (a directory, an object store) could take the same keys.
"""

import hashlib
import io

from models.materials import FileBlob


class DatabaseStorage:
    """Files as rows of FileBlob; joins the caller's transaction, so a failed save leaves nothing behind."""

    def put(self, data: bytes) -> str:
        key = hashlib.sha256(data).hexdigest()
        if not FileBlob.select(FileBlob.id).where(FileBlob.sha256 == key).exists():
            # Insert-or-ignore rather than check-then-insert: two uploads of one file may race.
            FileBlob.insert(sha256=key, size=len(data), content=data).on_conflict_ignore().execute()
        return key

    def get(self, key: str) -> bytes:
        content = FileBlob.select(FileBlob.content).where(FileBlob.sha256 == key).scalar()
        if content is None:
            raise KeyError(key)
        return bytes(content)

    def open(self, key: str):
        return io.BytesIO(self.get(key))

    def exists(self, key: str) -> bool:
        return FileBlob.select(FileBlob.id).where(FileBlob.sha256 == key).exists()


_default = DatabaseStorage()


def storage():
    """The storage in use (the database); the one function to change to keep files elsewhere."""
    return _default


def put(data: bytes) -> str:
    return storage().put(data)


def get(key: str) -> bytes:
    return storage().get(key)


def open(key: str):  # the interface's name for "a readable file"; shadows the builtin here only
    return storage().open(key)
