"""Hand-over by file (issue #20): the outbox file a phone saves (static/js/outbox.js) — readable JSON with a format
version, the account, each item's form, fields and client_uuid, the drafts if chosen, and a checksum — read and
checked here before anything is posted; and the record of an import ("imported by … for …").

The checksum is "sha256:" and the hex SHA-256 of the file's canonical JSON without the checksum: keys sorted, no
spaces, UTF-8 (canonical() here and in the script agree). It catches a file damaged or edited by hand; it is no
signature, and needs none: every item is posted through its form's endpoint under the importing account's rights.
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l

from db import db
from models.offline import OUTCOMES, OutboxImport, OutboxImportItem
from services import DomainError, audit
from services.offline import parse_uuid

FORMAT = "kelisim-outbox"
FILE_VERSIONS = (1,)  # the versions of the file format this release reads
MAX_BYTES = 5 * 1024 * 1024
MAX_ITEMS = 5000
MAX_FIELDS = 300


class FileRefused(DomainError):
    """The whole file is refused; nothing of it was posted."""


@dataclass
class Item:
    kind: str
    path: str  # where its form posts ("/surveys/new"), with the query string if any
    client_uuid: str
    fields: list  # [(name, value)] as the form posts them
    filled_at: datetime | None = None


@dataclass
class OutboxFile:
    account: str
    exported_at: datetime | None
    checksum: str
    items: list = field(default_factory=list)
    drafts: int = 0


def canonical(value):
    """The JSON text the checksum covers."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def checksum(payload):
    """The checksum of a file's content (``payload`` without its "checksum" key)."""
    body = {k: v for k, v in payload.items() if k != "checksum"}
    return "sha256:" + hashlib.sha256(canonical(body).encode("utf-8", "surrogatepass")).hexdigest()


def _moment(value):
    """A time the script wrote (milliseconds since 1970, or ISO text), as naive UTC; None when it is neither."""
    try:
        if isinstance(value, bool):
            return None
        if isinstance(value, int | float):
            return datetime.fromtimestamp(value / 1000, UTC).replace(tzinfo=None)
        if isinstance(value, str):
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
    except (ValueError, OverflowError, OSError):
        return None
    return None


def _damaged(number):
    return FileRefused(_l("The file is damaged (item %(n)s cannot be read), so nothing was imported. Save it again "
                          "on the device it came from.", n=number))


def _item(raw, number):
    if not isinstance(raw, dict):
        raise _damaged(number)
    kind, path, code, fields = raw.get("kind"), raw.get("action"), raw.get("client_uuid"), raw.get("fields")
    if not (isinstance(kind, str) and 0 < len(kind) <= 32 and isinstance(path, str) and path.startswith("/")
            and not path.startswith("//") and len(path) <= 500 and parse_uuid(code) is not None
            and isinstance(fields, list) and len(fields) <= MAX_FIELDS):
        raise _damaged(number)
    pairs = []
    for pair in fields:
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair)):
            raise _damaged(number)
        pairs.append((pair[0], pair[1]))
    return Item(kind, path, str(parse_uuid(code)), pairs, _moment(raw.get("created")))


def read(data):
    """The OutboxFile in ``data`` (bytes); FileRefused when it is not one, has been changed since it was saved
    (checksum), or comes in a version of the format this release does not read."""
    if len(data) > MAX_BYTES:
        raise FileRefused(_l("The file is too large to be an outbox file."))
    try:
        payload = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        payload = None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise FileRefused(_l("This is not an outbox file of Kelisim. Choose the file saved on the outbox page."))
    if payload.get("version") not in FILE_VERSIONS:
        raise FileRefused(_l("This file was saved by another version of Kelisim (file version %(version)s) and cannot "
                             "be imported here. Nothing was imported.", version=str(payload.get("version"))[:20]))
    try:
        expected = checksum(payload)
    except (UnicodeEncodeError, TypeError, ValueError):
        expected = None
    if payload.get("checksum") != expected:
        raise FileRefused(_l("The file has been changed since it was saved (its checksum does not match), so nothing "
                             "was imported. Save it again on the device it came from."))
    items, drafts, account = payload.get("items"), payload.get("drafts", []), payload.get("account", "")
    if not isinstance(items, list) or not isinstance(drafts, list) or not isinstance(account, str):
        raise _damaged(0)
    if len(items) > MAX_ITEMS:
        raise FileRefused(_l("The file holds more than %(n)s items: save it in parts.", n=MAX_ITEMS))
    return OutboxFile(account=account[:150], exported_at=_moment(payload.get("exported_at")), checksum=expected,
                      items=[_item(raw, number) for number, raw in enumerate(items, start=1)], drafts=len(drafts))


@dataclass
class Outcome:
    """What posting one item gave: created, duplicate (already there), invalid (with its errors) or refused."""

    outcome: str
    record_id: int | None = None
    messages: dict = field(default_factory=dict)
    summary: dict = field(default_factory=dict)


def record_import(importer, school, outbox_file, outcomes):
    """The record of an import: who imported which file for which school, and each item's outcome."""
    if any(o.outcome not in OUTCOMES for o in outcomes):
        raise ValueError("unknown outcome")
    counts = {name: sum(1 for o in outcomes if o.outcome == name) for name in OUTCOMES}
    with db.atomic():
        record = OutboxImport.create(importer=importer, importer_name=importer.full_name or importer.username,
                                     school=school, account=outbox_file.account, exported_at=outbox_file.exported_at,
                                     checksum=outbox_file.checksum)
        rows = [dict(outbox_import=record, position=n, kind=item.kind[:32], client_uuid=item.client_uuid,
                     filled_at=item.filled_at, summary=json.dumps(o.summary, ensure_ascii=False), outcome=o.outcome,
                     record_id=o.record_id, messages=json.dumps(o.messages, ensure_ascii=False))
                for n, (item, o) in enumerate(zip(outbox_file.items, outcomes, strict=True), start=1)]
        for start in range(0, len(rows), 200):
            OutboxImportItem.insert_many(rows[start:start + 200]).execute()
        audit.record(importer, "outbox.imported", record, school=school.id, account=outbox_file.account, **counts)
    return record


def counts(outbox_import):
    found = dict.fromkeys(OUTCOMES, 0)
    for item in outbox_import.items:
        found[item.outcome] = found.get(item.outcome, 0) + 1
    return found
