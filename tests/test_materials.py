"""The materials library: access per role, uploads checked by content and size, versions, downloads, demo data."""

import io
import zipfile
from urllib.parse import quote

import pytest
from pypdf import PdfReader

from models.audit import AuditEvent
from models.materials import FileBlob, Material, MaterialVersion
from services import DomainError, storage
from services import materials as library
from tests.factories import TINY_PDF, make_material
from tests.helpers import field_error, input_value, text

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
READERS = ["admin", "monitor", "district", "district2", "school", "school2"]


def counts():
    return Material.select().count(), MaterialVersion.select().count(), FileBlob.select().count()


def ooxml(folder, main):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(folder + main, "<x/>")
    return out.getvalue()


def material_form(**overrides):
    data = {"kind": "training_material", "title_kk": "Жаттығу жинағы", "title_ru": "Сборник упражнений",
            "description_kk": "", "description_ru": "", "file_language": "kk", "event": "0",
            "file": (io.BytesIO(TINY_PDF), "жаттығу.pdf")}
    data.update(overrides)
    return data


def post_material(client, lang="kk", **overrides):
    return client.post(f"/materials/new?lang={lang}", data=material_form(**overrides),
                       content_type="multipart/form-data")


@pytest.fixture
def regulation(world):
    """A model regulation with two versions, the second current."""
    admin = world.users["admin"]
    material = make_material(admin, kind="model_regulation", title_kk="Үлгілік ереже", title_ru="Типовое положение",
                             data=TINY_PDF + b"v1", filename="ереже.pdf", file_language="kk+ru")
    library.add_version(admin, material, "ереже-2.pdf", TINY_PDF + b"v2")
    return Material.get_by_id(material.id)


# ---------------------------------------------------------------- access


def test_anonymous_is_sent_to_login(client, regulation):
    for url in ("/materials", f"/materials/{regulation.id}", f"/materials/{regulation.id}/versions/1/download",
                "/materials/model-regulation", "/materials/new"):
        response = client.get(url)
        assert response.status_code == 302 and "/login?next=" in response.headers["Location"], url
    assert not AuditEvent.select().where(AuditEvent.action == "material.downloaded").exists()


@pytest.mark.parametrize("role", READERS)
def test_every_signed_in_role_reads_and_downloads(client, login_as, regulation, role):
    login_as(role)
    assert client.get("/materials").status_code == 200
    assert client.get(f"/materials/{regulation.id}").status_code == 200
    response = client.get(f"/materials/{regulation.id}/versions/1/download")
    assert response.status_code == 200 and response.data == TINY_PDF + b"v1"
    assert client.get(f"/materials/{regulation.id + 99}").status_code == 404
    assert client.get(f"/materials/{regulation.id}/versions/3/download").status_code == 404


@pytest.mark.parametrize("role", ["monitor", "district", "district2", "school", "school2"])
def test_only_region_admins_change_the_library(client, login_as, regulation, role):
    login_as(role)
    before = counts()
    for url in ("/materials/new", f"/materials/{regulation.id}/edit", f"/materials/{regulation.id}/versions/new"):
        assert client.get(url).status_code == 403, url
    assert post_material(client).status_code == 403
    response = client.post(f"/materials/{regulation.id}/versions/new", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(TINY_PDF + b"x"), "x.pdf")})
    assert response.status_code == 403
    assert counts() == before
    html = client.get(f"/materials/{regulation.id}").get_data(as_text=True)
    assert f"/materials/{regulation.id}/versions/new" not in html and "/materials/new" not in html


@pytest.mark.parametrize("app_overrides", [{"WTF_CSRF_ENABLED": True}])
def test_upload_without_csrf_token_is_refused(client, login_as):
    login_as("admin")
    assert post_material(client).status_code == 400
    assert counts() == (0, 0, 0)


# ---------------------------------------------------------------- publishing and versions


def test_admin_publishes_then_adds_a_version(client, login_as):
    admin = login_as("admin")
    form = client.get("/materials/new").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in form and 'type="file"' in form
    response = post_material(client, kind="model_regulation", file_language="kk+ru")
    assert response.status_code == 302
    material = Material.get()
    assert response.headers["Location"] == f"/materials/{material.id}"
    assert (material.title_kk, material.current_number, material.created_by_id) == ("Жаттығу жинағы", 1, admin.id)
    first = MaterialVersion.get()
    assert (first.filename, first.content_type, first.size) == ("жаттығу.pdf", "application/pdf", len(TINY_PDF))

    docx = library.docx_bytes([("Екінші басылым", True)])
    response = client.post(f"/materials/{material.id}/versions/new", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(docx), "ереже.docx")})
    assert response.status_code == 302
    assert Material.get_by_id(material.id).current_number == 2
    page = client.get(f"/materials/{material.id}?lang=ru")
    body = text(page)
    assert "Действующая версия" in body and "Версия 2 от" in body and "ереже.docx" in body
    assert "Предыдущие версии" in body and "Скачать версию 1" in body
    # The new version is the one served; the old one stays downloadable.
    assert client.get(f"/materials/{material.id}/download").headers["Location"].endswith("/versions/2/download")
    assert client.get(f"/materials/{material.id}/versions/2/download").data == docx
    assert client.get(f"/materials/{material.id}/versions/1/download").data == TINY_PDF
    actions = [e.action for e in AuditEvent.select().order_by(AuditEvent.id)]
    assert actions[:2] == ["material.published", "material.version_added"]
    assert actions.count("material.downloaded") == 2


def test_admin_edits_the_details(client, login_as, regulation):
    login_as("admin")
    page = client.get(f"/materials/{regulation.id}/edit")
    assert input_value(page, "title_ru") == "Типовое положение" and 'type="file"' not in page.get_data(as_text=True)
    data = {"kind": "model_regulation", "title_kk": "Жаңа атау", "title_ru": "Новое название", "file_language": "kk",
            "description_kk": "Сипаттама", "description_ru": "Описание", "event": "0"}
    assert client.post(f"/materials/{regulation.id}/edit", data=data).status_code == 302
    material = Material.get_by_id(regulation.id)
    assert (material.title_kk, material.description_ru, material.current_number) == ("Жаңа атау", "Описание", 2)
    assert AuditEvent.select().where(AuditEvent.action == "material.updated").count() == 1
    response = client.post(f"/materials/{regulation.id}/edit?lang=ru", data={**data, "title_kk": " "})
    assert response.status_code == 400
    assert field_error(response, "title_kk") == "Обязательное поле."
    assert Material.get_by_id(regulation.id).title_kk == "Жаңа атау"


def test_same_file_twice_is_stored_once(world):
    admin = world.users["admin"]
    make_material(admin, data=TINY_PDF)
    make_material(admin, data=TINY_PDF, filename="copy.pdf")
    assert counts() == (2, 2, 1)


def test_nothing_is_half_stored_when_saving_fails(world, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(library.audit, "record", broken)
    with pytest.raises(RuntimeError):
        make_material(world.users["admin"])
    assert counts() == (0, 0, 0)


def test_storage_round_trip_and_unknown_key(app):
    key = storage.put(b"\x00\x01 bytes")
    assert storage.get(key) == b"\x00\x01 bytes" and storage.open(key).read() == b"\x00\x01 bytes"
    assert storage.put(b"\x00\x01 bytes") == key and FileBlob.select().count() == 1
    with pytest.raises(KeyError):
        storage.get("0" * 64)


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("lang, upload, message", [
    ("kk", (b"", "бос.pdf"), "Файл бос."),
    ("ru", (b"", "empty.pdf"), "Файл пустой."),
    ("ru", (b"MZ\x90\x00 program", "setup.exe"), "Принимаются только файлы PDF, DOCX"),
    ("kk", (b"just text, named as a PDF", "ереже.pdf"), "Тек PDF, DOCX"),
    ("ru", (b"PK\x03\x04 not really a zip", "broken.docx"), "Принимаются только файлы PDF, DOCX"),
    ("ru", (TINY_PDF, "положение.docx"), "Содержимое этого файла – PDF, но его имя «положение.docx»"),
    ("kk", (PNG, "сурет.pdf"), "Бұл файлдың мазмұны – PNG"),
    ("ru", (TINY_PDF, "no-extension"), "Содержимое этого файла – PDF"),
])
def test_bad_files_get_a_field_message_and_store_nothing(client, login_as, lang, upload, message):
    login_as("admin")
    data, name = upload
    response = post_material(client, lang=lang, file=(io.BytesIO(data), name))
    assert response.status_code == 400
    assert message in field_error(response, "file")
    assert input_value(response, "title_kk") == "Жаттығу жинағы"  # what was typed is kept
    assert counts() == (0, 0, 0)


def test_missing_file_and_missing_title(client, login_as):
    login_as("admin")
    data = material_form(title_ru="")
    del data["file"]
    response = client.post("/materials/new?lang=ru", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert field_error(response, "file") == "Выберите файл для загрузки."
    assert field_error(response, "title_ru") == "Обязательное поле."
    assert counts() == (0, 0, 0)


def test_a_file_over_20_mb_gets_a_field_message_not_413(client, login_as, regulation):
    login_as("admin")
    before = counts()
    payload = b"%PDF-" + bytes(20 * 1024 * 1024 - 4)  # 20 MB + 1 byte
    response = post_material(client, lang="ru", file=(io.BytesIO(payload), "big.pdf"))
    assert response.status_code == 400
    assert field_error(response, "file").startswith("Файл больше 20 МБ.")
    response = client.post(f"/materials/{regulation.id}/versions/new?lang=kk", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(payload), "big.pdf")})
    assert response.status_code == 400 and "20 МБ" in field_error(response, "file")
    assert counts() == before and Material.get_by_id(regulation.id).current_number == 2
    # Exactly 20 MB is accepted, kept in the database and served back whole.
    response = client.post(f"/materials/{regulation.id}/versions/new", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(payload[:-1]), "big.pdf")})
    assert response.status_code == 302
    served = client.get(f"/materials/{regulation.id}/versions/3/download")
    assert len(served.data) == 20 * 1024 * 1024 and served.data[:5] == b"%PDF-"


@pytest.mark.parametrize("app_overrides", [{"MATERIALS_MAX_BYTES": 2048}])
def test_size_limit_is_inclusive_and_configurable(client, login_as):
    login_as("admin")
    exact = b"%PDF-" + bytes(2048 - 5)
    assert post_material(client, file=(io.BytesIO(exact), "a.pdf")).status_code == 302
    response = post_material(client, lang="ru", file=(io.BytesIO(exact + b"x"), "b.pdf"))
    assert response.status_code == 400 and "Файл больше 2 КБ." in field_error(response, "file")
    assert counts() == (1, 1, 1)


def test_wrong_choices_are_field_errors(client, login_as):
    login_as("admin")
    response = post_material(client, lang="ru", kind="poem", file_language="fr", event="999999")
    assert response.status_code == 400
    assert field_error(response, "kind") == "Выберите значение из списка."
    assert field_error(response, "file_language") == "Выберите значение из списка."
    if library.training_event_model() is not None:
        assert field_error(response, "event") == "Выберите значение из списка."
    assert counts() == (0, 0, 0)


def test_a_material_may_belong_to_a_training_event(client, login_as, monkeypatch):
    import forms.materials

    monkeypatch.setattr(forms.materials, "event_choices", lambda: [(7, "2024-SEM01 · Семинар")])
    login_as("admin")
    assert "2024-SEM01 · Семинар" in client.get("/materials/new").get_data(as_text=True)
    assert post_material(client, event="7").status_code == 302
    assert Material.get().event_id == 7
    assert [m.id for m in library.library(event_id=7)] == [Material.get().id]


def test_without_the_training_feature_there_is_no_event_field(client, login_as, monkeypatch):
    import forms.materials

    monkeypatch.setattr(forms.materials, "event_choices", lambda: None)
    login_as("admin")
    assert 'name="event"' not in client.get("/materials/new").get_data(as_text=True)
    data = material_form()
    del data["event"]
    assert client.post("/materials/new", data=data, content_type="multipart/form-data").status_code == 302
    assert Material.get().event_id is None


def test_service_refuses_what_the_form_would(world):
    admin = world.users["admin"]
    with pytest.raises(DomainError) as caught:
        library.publish(admin, kind="training_material", title_kk="Атауы", title_ru="", file_language="kk",
                        filename="a.pdf", data=TINY_PDF)
    assert caught.value.field == "title_ru"
    with pytest.raises(DomainError) as caught:
        library.publish(admin, kind="nope", title_kk="А", title_ru="Б", file_language="kk", filename="a.pdf",
                        data=TINY_PDF)
    assert caught.value.field == "kind"
    assert counts() == (0, 0, 0)


# ---------------------------------------------------------------- what a file is


@pytest.mark.parametrize("data, expected", [
    (TINY_PDF, "pdf"),
    (PNG, "png"),
    (JPEG, "jpeg"),
    (ooxml("word/", "document.xml"), "docx"),
    (ooxml("xl/", "workbook.xml"), "xlsx"),
    (ooxml("ppt/", "presentation.xml"), "pptx"),
    (b"PK\x03\x04" + b"\x00" * 40, None),
    (b"<html><script>alert(1)</script>", None),
    (b" %PDF-1.4", None),
])
def test_type_is_detected_from_content(data, expected):
    assert library.detect_type(data) == expected


def test_a_zip_without_office_parts_is_not_a_document():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<x/>")  # no [Content_Types].xml
    assert library.detect_type(out.getvalue()) is None


def test_generated_demo_files_are_what_they_say(app):
    assert library.detect_type(library.docx_bytes([("Сәлем", False)])) == "docx"
    assert library.detect_type(library.xlsx_bytes("Парақ", ["a"], [["б"]])) == "xlsx"


@pytest.mark.parametrize("name, ok", [("a.JPG", True), ("a.jpeg", True), ("a.png", False), ("a", False)])
def test_jpeg_extensions(app, name, ok):
    if ok:
        assert library.check_file(name, JPEG) == "jpeg"
    else:
        with pytest.raises(DomainError):
            library.check_file(name, JPEG)


def test_uploaded_names_lose_folders_and_control_characters():
    assert library.clean_filename("C:\\Users\\me\\Ереже.pdf") == "Ереже.pdf"
    assert library.clean_filename("../../etc/x\r\n.pdf") == "x.pdf"
    long = library.clean_filename("а" * 300 + ".docx")
    assert len(long) == 255 and long.endswith(".docx")


# ---------------------------------------------------------------- downloads


def test_download_headers_are_safe(client, login_as, regulation):
    login_as("school")
    response = client.get(f"/materials/{regulation.id}/versions/2/download")
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    assert f"filename*=UTF-8''{quote('ереже-2.pdf', safe='')}" in disposition
    assert f'filename="material-{regulation.id}-v2.pdf"' in disposition  # ASCII fallback for a Kazakh name
    assert "sandbox" in response.headers["Content-Security-Policy"]
    event = AuditEvent.get(AuditEvent.action == "material.downloaded")
    assert (event.object_id, event.actor_id) == (str(regulation.id), login_as("school").id)


def test_images_are_served_as_images_and_ascii_names_kept(client, login_as, world):
    material = make_material(world.users["admin"], data=PNG, filename="scheme.png")
    login_as("district")
    response = client.get(f"/materials/{material.id}/versions/1/download")
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["Content-Disposition"] == "attachment; filename=\"scheme.png\"; filename*=UTF-8''scheme.png"


# ---------------------------------------------------------------- the library page and the model regulation


def test_model_regulation_is_pinned_with_its_current_version(client, login_as, regulation, world):
    make_material(world.users["admin"], kind="template", title_kk="Хаттама үлгісі", title_ru="Шаблон протокола")
    make_material(world.users["admin"], kind="training_material", title_kk="Слайдтар", title_ru="Слайды")
    login_as("school")
    page = client.get("/materials")
    pinned, others = text(page).split("Басқа материалдар")
    assert "Үлгілік ереже" in pinned and "2-нұсқа" in pinned and "Хаттама үлгісі" not in pinned
    assert "Хаттама үлгісі" in others and "Слайдтар" in others and "Үлгілік ереже" not in others
    assert f"/materials/{regulation.id}/versions/2/download" in page.get_data(as_text=True)
    assert "Материал жариялау" not in pinned  # no publishing button for a school
    filtered = text(client.get("/materials?kind=template&lang=ru"))
    assert "Шаблон протокола" in filtered and "Слайды" not in filtered and "Типовое положение" in filtered
    assert client.get("/materials?kind=%3Cscript%3E").status_code == 200
    assert client.get("/materials?page=99").status_code == 200


def test_stable_address_of_the_model_regulation(client, login_as, world, regulation):
    login_as("school2")
    response = client.get("/materials/model-regulation")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/materials/{regulation.id}/versions/2/download"
    current = library.current_model_regulation()
    assert (current.material.id, current.version.number) == (regulation.id, 2)
    library.add_version(world.users["admin"], regulation, "ереже-3.pdf", TINY_PDF + b"v3")
    assert client.get("/materials/model-regulation").headers["Location"].endswith("/versions/3/download")


def test_no_model_regulation_yet(client, login_as):
    login_as("school")
    assert library.current_model_regulation() is None
    assert client.get("/materials/model-regulation").status_code == 404
    assert "Үлгілік ереже әлі жарияланған жоқ." in text(client.get("/materials"))


def test_library_is_in_the_menu_of_every_role(client, login_as):
    for role in READERS:
        login_as(role)
        assert 'href="/materials"' in client.get("/").get_data(as_text=True), role


# ---------------------------------------------------------------- demo data


def test_demo_materials(app, world):
    from services.demo import DemoContext

    ctx = DemoContext(users={"admin": world.users["admin"]})
    with app.app_context():  # as under `flask demo-data`
        library.load_demo(ctx)
        library.load_demo(ctx)  # a second run adds nothing
    current = library.current_model_regulation()
    assert current.version.number == 2 and Material.select().count() == 3
    pdf = storage.get(current.version.file_key)
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]
    kazakh, russian = " ".join(pages).split("Типовое положение о службе школьной медиации")
    assert "Мектеп медиациясы қызметінің үлгілік ережесі" in kazakh and "Еріктілік" in kazakh
    assert "Конфиденциальность" in russian and "Нейтральность" in russian and "Құпиялылық" not in russian
    assert "18." in kazakh and "18." in russian  # the second edition adds the item on informing parents
    first = library.get_version(current.material, 1)
    assert "18." not in " ".join(p.extract_text() for p in PdfReader(io.BytesIO(storage.get(first.file_key))).pages)
    kinds = {library.detect_type(storage.get(m.current.file_key)) for m in library.library(kind="training_material")}
    assert kinds == {"docx", "xlsx"}
