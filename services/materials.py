"""The materials library: what a file is (by its content), publishing, versions, downloads, the model
regulation every school follows, and the demo documents the service renders itself."""

import io
import re
import zipfile
from collections import namedtuple
from datetime import date, datetime
from xml.sax.saxutils import escape

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from peewee import JOIN

from db import db
from models.materials import FILE_LANGUAGES, KIND_MODEL_REGULATION, KIND_TRAINING, KINDS, Material, MaterialVersion
from models.materials import size_label as _size_label
from services import DomainError, audit, storage

DEFAULT_MAX_BYTES = 20 * 1024 * 1024

FileType = namedtuple("FileType", "label extensions content_type")

# The only kinds of file the library takes, told apart by their content; served with these types.
FILE_TYPES = {
    "pdf": FileType("PDF", ("pdf",), "application/pdf"),
    "docx": FileType("DOCX", ("docx",), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": FileType("XLSX", ("xlsx",), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pptx": FileType("PPTX", ("pptx",),
                     "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    "png": FileType("PNG", ("png",), "image/png"),
    "jpeg": FileType("JPEG", ("jpg", "jpeg"), "image/jpeg"),
}
CONTENT_TYPES = {t.content_type for t in FILE_TYPES.values()}
ACCEPT = ",".join("." + ext for t in FILE_TYPES.values() for ext in t.extensions)

# Office Open XML files are ZIP archives; the folder of the main part says which application made them.
OOXML_FOLDERS = {"word/": "docx", "xl/": "xlsx", "ppt/": "pptx"}

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

Current = namedtuple("Current", "material version")


# ---------------------------------------------------------------- files


def max_bytes():
    """The largest file accepted (config MATERIALS_MAX_BYTES)."""
    return (current_app.config.get("MATERIALS_MAX_BYTES") if has_app_context() else None) or DEFAULT_MAX_BYTES


def detect_type(data):
    """The key of FILE_TYPES that ``data`` is, judged by its bytes only, or None."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"PK\x03\x04"):
        return _ooxml_type(data)
    return None


def _ooxml_type(data):
    # Only the archive's directory is read; nothing is decompressed, so a ZIP bomb costs nothing here.
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    found = {kind for folder, kind in OOXML_FOLDERS.items() if any(n.startswith(folder) for n in names)}
    return found.pop() if len(found) == 1 else None


def extension(filename):
    return filename.rsplit(".", 1)[-1].lower() if "." in filename else ""


def clean_filename(name):
    """The name a file was uploaded under, without folders or control characters, at most 255 characters."""
    name = _CONTROL.sub("", (name or "").replace("\\", "/").rsplit("/", 1)[-1]).strip()
    if len(name) > 255:
        stem, _dot, ext = name.rpartition(".")
        name = stem[: 254 - len(ext)] + "." + ext if stem and len(ext) < 16 else name[:255]
    return name


def check_file(filename, data):
    """The FILE_TYPES key of an upload; DomainError (field "file") saying what is wrong with it otherwise."""
    if not data:
        raise DomainError(_l("The file is empty."), field="file")
    limit = max_bytes()
    if len(data) > limit:
        raise DomainError(_l("The file is larger than %(limit)s. Make it smaller or split it.",
                             limit=_size_label(limit)), field="file")
    kind = detect_type(data)
    if kind is None:
        raise DomainError(_l("Only PDF, DOCX, XLSX, PPTX, PNG and JPEG files are accepted, and the content of "
                             "this file is none of them."), field="file")
    if extension(filename) not in FILE_TYPES[kind].extensions:
        raise DomainError(_l("The content of this file is %(type)s, but its name “%(name)s” says otherwise. "
                             "Choose the right file or correct its name.", type=FILE_TYPES[kind].label,
                             name=filename), field="file")
    return kind


# ---------------------------------------------------------------- publishing


def _check_details(kind, title_kk, title_ru, file_language):
    if kind not in KINDS:
        raise DomainError(_l("Choose a value from the list."), field="kind")
    if file_language not in FILE_LANGUAGES:
        raise DomainError(_l("Choose a value from the list."), field="file_language")
    for field, value in (("title_kk", title_kk), ("title_ru", title_ru)):
        if not (value or "").strip():
            raise DomainError(_l("This field is required."), field=field)


def publish(actor, *, kind, title_kk, title_ru, file_language, filename, data, description_kk="",
            description_ru="", event_id=None, uploaded_at=None):
    """A new material with its first version; the file, the material and the version are stored together."""
    _check_details(kind, title_kk, title_ru, file_language)
    filename = clean_filename(filename)
    file_type = check_file(filename, data)
    at = uploaded_at or datetime.utcnow()
    with db.atomic():
        material = Material.create(kind=kind, title_kk=title_kk.strip(), title_ru=title_ru.strip(),
                                   description_kk=description_kk or "", description_ru=description_ru or "",
                                   file_language=file_language, event_id=event_id or None, created_by=actor,
                                   created_at=at, updated_at=at)
        version = _store_version(actor, material, filename, data, file_type, at)
        audit.record(actor, "material.published", material, kind=kind, version=version.number, filename=filename)
    return material, version


def update(actor, material, *, kind, title_kk, title_ru, file_language, description_kk="", description_ru="",
           event_id=None):
    """New details for a material; its versions stay as they are."""
    _check_details(kind, title_kk, title_ru, file_language)
    with db.atomic():
        material.kind, material.file_language = kind, file_language
        material.title_kk, material.title_ru = title_kk.strip(), title_ru.strip()
        material.description_kk, material.description_ru = description_kk or "", description_ru or ""
        material.event_id = event_id or None
        material.save()
        audit.record(actor, "material.updated", material)
    return material


def add_version(actor, material, filename, data, uploaded_at=None):
    """A newer file for a material: it becomes the one shown, the older ones stay in the history."""
    filename = clean_filename(filename)
    file_type = check_file(filename, data)
    with db.atomic():
        version = _store_version(actor, material, filename, data, file_type, uploaded_at or datetime.utcnow())
        audit.record(actor, "material.version_added", material, version=version.number, filename=filename)
    return version


def _store_version(actor, material, filename, data, file_type, at):
    key = storage.put(data)
    # The UPDATE locks the material's row until the transaction ends, so two uploads get different numbers.
    Material.update(current_number=Material.current_number + 1, updated_at=at).where(
        Material.id == material.id).execute()
    number = Material.select(Material.current_number).where(Material.id == material.id).scalar()
    version = MaterialVersion.create(material=material, number=number, file_key=key, filename=filename,
                                     content_type=FILE_TYPES[file_type].content_type, size=len(data),
                                     uploaded_by=actor, uploaded_at=at)
    material.current_number, material.updated_at = number, at
    return version


# ---------------------------------------------------------------- reading


def with_current(query):
    """Materials (``query``) each with its current version as ``material.current``."""
    on = (MaterialVersion.material == Material.id) & (MaterialVersion.number == Material.current_number)
    return query.select_extend(MaterialVersion).join(MaterialVersion, JOIN.INNER, on=on, attr="current")


def pinned():
    """The model regulations, shown above everything else, the most recently updated first."""
    return (with_current(Material.select()).where(Material.kind == KIND_MODEL_REGULATION)
            .order_by(Material.updated_at.desc(), Material.id.desc()))


def library(kind=None, event_id=None):
    """Every other material, newest first, narrowed to a kind or a training event."""
    query = with_current(Material.select()).where(Material.kind != KIND_MODEL_REGULATION)
    if kind:
        query = query.where(Material.kind == kind)
    if event_id:
        query = query.where(Material.event_id == event_id)
    return query.order_by(Material.updated_at.desc(), Material.id.desc())


def current_model_regulation():
    """The model regulation schools follow and its current version (for the setup checklist), or None."""
    material = pinned().first()
    return Current(material, material.current) if material is not None else None


def versions(material):
    return MaterialVersion.select().where(MaterialVersion.material == material.id).order_by(
        MaterialVersion.number.desc())


def get_version(material, number):
    return MaterialVersion.get_or_none(MaterialVersion.material == material.id, MaterialVersion.number == number)


def download(actor, version):
    """The bytes of a version; every download is written to the audit trail."""
    data = storage.get(version.file_key)
    audit.record(actor, "material.downloaded", object_type="Material", object_id=version.material_id,
                 version=version.number)
    return data


def training_event_model():
    """models.training.TrainingEvent when the training feature is installed, else None."""
    try:
        from models.training import TrainingEvent
    except ImportError:
        return None
    return TrainingEvent


def event_label(event):
    title = str(getattr(event, "title", None) or f"#{event.id}")
    code = getattr(event, "code", None)
    return f"{code} · {title}" if code else title


def event_choices():
    """(id, label) of training events, newest first; None when there is no training feature."""
    model = training_event_model()
    if model is None:
        return None
    return [(e.id, event_label(e)) for e in model.select().order_by(model.id.desc())]


def event_title(material):
    """The name of the training event a material belongs to, or None."""
    model = training_event_model()
    if model is None or not material.event_id:
        return None
    event = model.get_or_none(model.id == material.event_id)
    return event_label(event) if event is not None else None


# ---------------------------------------------------------------- demo data


def model_regulation_pdf(edition, edition_date):
    """The model regulation of a school mediation service (Kazakh, then Russian), rendered by the service."""
    from services.pdf import render_pdf

    return render_pdf("pdf/model_regulation.html", {"edition": edition, "edition_date": edition_date}, "kk",
                      stylesheets=("base.css", "model_regulation.css"))


def docx_bytes(paragraphs):
    """A minimal Word document: (text, bold) paragraphs. Enough for Word and LibreOffice to open it."""
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/word/document.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
    rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Target="word/document.xml" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/></Relationships>')
    body = "".join(
        '<w:p><w:r>' + ('<w:rPr><w:b/></w:rPr>' if bold else '') +
        f'<w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p>' for text, bold in paragraphs)
    document = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                f'<w:body>{body}</w:body></w:document>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in (("[Content_Types].xml", content_types), ("_rels/.rels", rels),
                           ("word/document.xml", document)):
            archive.writestr(zipfile.ZipInfo(name, date_time=(2024, 10, 1, 0, 0, 0)), text.encode("utf-8"),
                             zipfile.ZIP_DEFLATED)
    return out.getvalue()


def xlsx_bytes(title, header, rows):
    """A one-sheet workbook made with openpyxl."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    workbook.properties.created = workbook.properties.modified = datetime(2024, 10, 1)
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    for column, width in zip("ABCD", (5, 45, 30, 45), strict=False):
        sheet.column_dimensions[column].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


STAGES_MEMO = [
    ("Медиация кездесуінің кезеңдері — семинарға арналған жадынама", True),
    ("Этапы медиативной встречи — памятка к семинару", True),
    ("1. Кіріспе: медиатор өзін таныстырады, еріктілік пен құпиялылық қағидаттарын түсіндіреді.", False),
    ("1. Вступление: медиатор представляется, объясняет принципы добровольности и конфиденциальности.", False),
    ("2. Әңгіме: әр тарап өз көзқарасын айтады, медиатор тыңдап, нақтылайды.", False),
    ("2. Рассказ сторон: каждая сторона излагает своё видение, медиатор слушает и уточняет.", False),
    ("3. Қажеттіліктерді анықтау: тараптар не үшін маңызды екенін айтады.", False),
    ("3. Выявление потребностей: стороны говорят о том, что для них важно.", False),
    ("4. Шешім іздеу: тараптар нұсқаларды ұсынып, бірін таңдайды.", False),
    ("4. Поиск решений: стороны предлагают варианты и выбирают один из них.", False),
    ("5. Келісім: келісілген шешім жазылады, бір айдан кейін тексеріледі.", False),
    ("5. Соглашение: договорённость записывается и через месяц проверяется.", False),
]

EXERCISE_HEADER = ["№", "Жағдаят / Ситуация", "Тараптар / Стороны", "Медиатордың алғашқы сұрағы / Первый вопрос"]
EXERCISE_ROWS = [
    [1, "Үзілісте телефон үшін дау / Спор из-за телефона на перемене", "7-сынып оқушылары / ученики 7 класса",
     "Не болғанын әрқайсыңыз айтып беріңізші? / Расскажите, пожалуйста, каждый, что произошло?"],
    [2, "Чаттағы қорлау / Оскорбления в чате класса", "9-сынып оқушылары / ученики 9 класса",
     "Бұл жағдай сізге қалай әсер етті? / Как эта ситуация повлияла на вас?"],
    [3, "Бағаға келіспеушілік / Несогласие с оценкой", "Ата-ана мен педагог / родитель и педагог",
     "Сіз үшін ең маңыздысы не? / Что для вас важнее всего?"],
    [4, "Команда ішіндегі жанжал / Конфликт в команде", "5-сынып оқушылары / ученики 5 класса",
     "Келесі жолы не өзгеруі керек? / Что должно измениться в следующий раз?"],
]


def load_demo(ctx):
    """The model regulation (two editions) and two training materials, published by the demo region admin."""
    if Material.select().exists():
        return
    admin = ctx.users.get("admin")
    material, _version = publish(
        admin, kind=KIND_MODEL_REGULATION, file_language="kk+ru",
        title_kk="Мектеп медиациясы қызметінің үлгілік ережесі",
        title_ru="Типовое положение о службе школьной медиации",
        description_kk="Мектептер өз ережесін осы үлгі негізінде әзірлеп, педагогикалық кеңесте бекітеді.",
        description_ru="Школы разрабатывают своё положение на основе этого типового и утверждают его "
                       "на педагогическом совете.",
        filename="Үлгілік ереже — Типовое положение.pdf", data=model_regulation_pdf(1, date(2024, 9, 20)),
        uploaded_at=datetime(2024, 9, 20, 5, 0))
    add_version(admin, material, "Үлгілік ереже — Типовое положение (2025).pdf",
                model_regulation_pdf(2, date(2025, 1, 15)), uploaded_at=datetime(2025, 1, 15, 5, 0))
    events = event_choices() or []
    event_id = events[-1][0] if events else None  # the oldest event: the first seminar
    publish(admin, kind=KIND_TRAINING, file_language="kk+ru", event_id=event_id,
            title_kk="Медиация кездесуінің кезеңдері: семинарға арналған жадынама",
            title_ru="Этапы медиативной встречи: памятка к семинару",
            description_kk="Кураторларға арналған қысқаша жадынама.",
            description_ru="Краткая памятка для кураторов.",
            filename="Медиация кезеңдері — Этапы медиации.docx", data=docx_bytes(STAGES_MEMO),
            uploaded_at=datetime(2024, 10, 10, 5, 0))
    publish(admin, kind=KIND_TRAINING, file_language="kk+ru", event_id=event_id,
            title_kk="Тренингке арналған жаттығу: жанжал жағдаяттары",
            title_ru="Упражнение к тренингу: конфликтные ситуации",
            description_kk="Жұппен жұмыс істеуге арналған төрт жағдаят.",
            description_ru="Четыре ситуации для работы в парах.",
            filename="Жаттығу — Упражнение.xlsx", data=xlsx_bytes("Жағдаяттар", EXERCISE_HEADER, EXERCISE_ROWS),
            uploaded_at=datetime(2024, 10, 10, 6, 0))
