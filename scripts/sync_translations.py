"""Extract every string, merge into the kk/ru/en catalogs, apply translations/features/*.json, compile.

Each feature keeps its translations in translations/features/<feature>.json:
    {"English msgid": {"kk": "...", "ru": "...", "en": "..."}, ...}
("en" may be left out: the msgid is used). Plural entries are not used by Kelisim.
Runs under a file lock, so several people can run it at once.
"""

import fcntl
import glob
import json
import os
import subprocess
import sys

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRANSLATIONS = os.path.join(ROOT, "translations")
LANGS = ("kk", "ru", "en")


def feature_translations():
    merged = {}
    for path in sorted(glob.glob(os.path.join(TRANSLATIONS, "features", "*.json"))):
        with open(path, encoding="utf-8") as fh:
            for msgid, values in json.load(fh).items():
                merged.setdefault(msgid, {}).update(values)
    return merged


def main():
    with open(os.path.join(TRANSLATIONS, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        pot = os.path.join(TRANSLATIONS, "messages.pot")
        babel = [sys.executable, "-m", "babel.messages.frontend"]
        subprocess.run([*babel, "-q", "extract", "-F", "babel.cfg", "-k", "_l", "--no-location", "--sort-output",
                        "--ignore-dirs", ".*",  # not the default ".* _*": templates/_macros holds the form macros
                        "-o", pot, "."], cwd=ROOT, check=True)
        subprocess.run([*babel, "-q", "update", "-i", pot, "-d", TRANSLATIONS, "--no-fuzzy-matching",
                        "--ignore-obsolete"], cwd=ROOT, check=True)
        extra = feature_translations()
        gaps = {}
        for lang in LANGS:
            po_path = os.path.join(TRANSLATIONS, lang, "LC_MESSAGES", "messages.po")
            with open(po_path, encoding="utf-8") as fh:
                catalog = read_po(fh, locale=lang)
            for message in catalog:
                if not message.id or not isinstance(message.id, str):
                    continue
                value = extra.get(message.id, {}).get(lang)
                if value is None and lang == "en" and message.id in extra:
                    value = message.id
                if value:
                    message.string = value
                    message.flags.discard("fuzzy")
                if not message.string:
                    gaps.setdefault(lang, []).append(message.id)
            with open(po_path, "wb") as fh:
                write_po(fh, catalog, sort_output=True, omit_header=False)
            with open(po_path[:-2] + "mo", "wb") as fh:
                write_mo(fh, catalog)
        for lang, ids in gaps.items():
            print(f"{lang}: {len(ids)} untranslated", file=sys.stderr)
            for msgid in ids[:50]:
                print(f"  {msgid!r}", file=sys.stderr)
        return 1 if gaps else 0


if __name__ == "__main__":
    sys.exit(main())
