"""Direct identifiers in a cohort (spinemets.cohort.identifiers and the loader's guard).

Hand-written headers and values in English, Russian, German, French and Spanish,
each with the kind it must be taken for (or None); identity numbers whose check
digits are worked out by hand in the comments; then the loader: a refusal names
file, row, column and kind but never the value, ``allow_identifiers`` drops the
flagged columns (and replaces a flagged ``patient_id`` by study codes), and the
bundled cohort and the valid test cohort hold nothing that looks like one.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest
from spinemets import paths
from spinemets.cli import main
from spinemets.cohort import CohortValidationError, load_cohort, validate_cohort
from spinemets.cohort import identifiers as ids
from spinemets.cohort.prepare import pseudonymous_ids
from spinemets.cohort.problems import Problem

from .test_load import rows, set_cell, write

# --- column names -------------------------------------------------------------------------

HEADERS = {
    # English
    "name": ids.NAME, "Name": ids.NAME, "Patient Name": ids.NAME, "surname": ids.NAME,
    "first_name": ids.NAME, "FirstName": ids.NAME, "LAST_NAME": ids.NAME, "initials": ids.NAME,
    "patient": ids.NAME, "Patient": ids.NAME, "PT": ids.NAME,
    "MRN": ids.RECORD, "M.R.N.": ids.RECORD, "mrn_2": ids.RECORD, "record_number": ids.RECORD,
    "Medical record": ids.RECORD, "hospital_no": ids.RECORD, "Case number": ids.RECORD,
    "Chart #": ids.RECORD, "patient_number": ids.RECORD,
    "insurance": ids.INSURANCE, "InsuranceNo": ids.INSURANCE, "SSN": ids.INSURANCE,
    "S.S.N.": ids.INSURANCE, "Social security number": ids.INSURANCE,
    "NHS number": ids.INSURANCE, "Medicare": ids.INSURANCE,
    "national_id": ids.NATIONAL_ID, "passport": ids.PASSPORT,
    "dob": ids.BIRTH, "DOB": ids.BIRTH, "D.O.B.": ids.BIRTH, "date_of_birth": ids.BIRTH,
    "BirthDate": ids.BIRTH, "born": ids.BIRTH,
    "address": ids.ADDRESS, "Home address": ids.ADDRESS, "street": ids.ADDRESS,
    "City": ids.ADDRESS,
    "zip": ids.POSTAL, "ZIP code": ids.POSTAL, "postcode": ids.POSTAL, "post_code": ids.POSTAL,
    "postal_code": ids.POSTAL,
    "phone": ids.PHONE, "Telephone": ids.PHONE, "mobile_phone": ids.PHONE, "tel": ids.PHONE,
    "Tel.": ids.PHONE, "fax": ids.PHONE, "Mobile": ids.PHONE, "Cell": ids.PHONE,
    "email": ids.EMAIL, "E-mail": ids.EMAIL, "e_mail": ids.EMAIL, "mail": ids.EMAIL,
    "E-mail address": ids.EMAIL, "contact": ids.CONTACT,
    # Russian
    "ФИО": ids.NAME, "Ф.И.О.": ids.NAME, "Фамилия": ids.NAME, "Имя": ids.NAME,
    "Отчество": ids.NAME, "ФИО пациента": ids.NAME, "Пациент": ids.NAME, "Больной": ids.NAME,
    "Дата рождения": ids.BIRTH, "Д.Р.": ids.BIRTH, "Год рождения": ids.BIRTH,
    "№ истории болезни": ids.RECORD, "История болезни": ids.RECORD, "№ И/Б": ids.RECORD,
    "Номер карты": ids.RECORD, "Медицинская карта": ids.RECORD,
    "СНИЛС": ids.INSURANCE, "Полис ОМС": ids.INSURANCE, "ИНН": ids.NATIONAL_ID,
    "Паспорт": ids.PASSPORT, "Адрес": ids.ADDRESS, "Улица": ids.ADDRESS, "Город": ids.ADDRESS,
    "Почтовый индекс": ids.POSTAL, "Телефон": ids.PHONE, "Тел.": ids.PHONE,
    "Контактный телефон": ids.PHONE, "Эл. почта": ids.EMAIL, "Электронная почта": ids.EMAIL,
    # German
    "Vorname": ids.NAME, "Nachname": ids.NAME, "Familienname": ids.NAME,
    "Geburtsdatum": ids.BIRTH, "Geb.-Datum": ids.BIRTH, "Geburtstag": ids.BIRTH,
    "Patientennummer": ids.RECORD, "Patienten-Nr.": ids.RECORD, "Fallnummer": ids.RECORD,
    "Versichertennummer": ids.INSURANCE, "Krankenversicherung": ids.INSURANCE,
    "KVNR": ids.INSURANCE, "Steuer-ID": ids.NATIONAL_ID,
    "Steueridentifikationsnummer": ids.NATIONAL_ID,
    "Personalausweis": ids.NATIONAL_ID, "Reisepass": ids.PASSPORT, "Straße": ids.ADDRESS,
    "Anschrift": ids.ADDRESS, "Wohnort": ids.ADDRESS, "PLZ": ids.POSTAL, "Telefon": ids.PHONE,
    "Handy": ids.PHONE, "Mobil": ids.PHONE, "E-Mail": ids.EMAIL,
    # French
    "Nom": ids.NAME, "Prénom": ids.NAME, "Nom de famille": ids.NAME,
    "Date de naissance": ids.BIRTH, "Né le": ids.BIRTH, "DDN": ids.BIRTH,
    "N° de dossier": ids.RECORD, "Numéro de dossier": ids.RECORD, "IPP": ids.RECORD,
    "NIR": ids.INSURANCE, "Numéro de sécurité sociale": ids.INSURANCE,
    "Carte Vitale": ids.INSURANCE, "Passeport": ids.PASSPORT, "Adresse": ids.ADDRESS,
    "Rue": ids.ADDRESS, "Ville": ids.ADDRESS, "Code postal": ids.POSTAL,
    "Téléphone": ids.PHONE, "Portable": ids.PHONE, "Courriel": ids.EMAIL,
    # Spanish
    "Nombre": ids.NAME, "Apellidos": ids.NAME, "Nombre completo": ids.NAME,
    "Paciente": ids.NAME, "Fecha de nacimiento": ids.BIRTH, "F. Nac.": ids.BIRTH,
    "Historia clínica": ids.RECORD, "Número de historia": ids.RECORD, "NHC": ids.RECORD,
    "DNI": ids.NATIONAL_ID, "NIE": ids.NATIONAL_ID, "CURP": ids.NATIONAL_ID,
    "Número de seguridad social": ids.INSURANCE, "Tarjeta sanitaria": ids.INSURANCE,
    "Pasaporte": ids.PASSPORT, "Dirección": ids.ADDRESS, "Domicilio": ids.ADDRESS,
    "Calle": ids.ADDRESS, "Código postal": ids.POSTAL, "Teléfono": ids.PHONE,
    "Móvil": ids.PHONE, "Celular": ids.PHONE, "Correo electrónico": ids.EMAIL,
}  # fmt: skip

NOT_IDENTIFIERS = [
    "patient_id", "age", "surgery", "frankel_pre", "os_months", "surgery_date", "death_date",
    "ecog", "clear_cell", "histology", "hospital", "tumour_size_mm", "mobile_post", "telomere",
    "ambulatory", "karnofsky", "detail", "category", "comment", "notes", "sex", "gender",
    "weight", "bmi", "diagnosis", "stage", "grade", "nephrectomy", "mets_lung", "centre",
    # Russian, German, French, Spanish clinical headers
    "Возраст", "Пол", "Диагноз", "Индекс Карновского", "Дата операции", "Осложнения",
    "Alter", "Geschlecht", "Diagnose", "Operationsdatum", "Komplikation",
    "Âge", "Sexe", "grade OMS", "nombre de métastases", "Date d'opération",
    "Edad", "Sexo", "Diagnóstico", "Fecha de cirugía", "Complicación",
]  # fmt: skip


@pytest.mark.parametrize(("header", "kind"), sorted(HEADERS.items()))
def test_identifier_column_names_are_recognised_in_five_languages(header, kind):
    assert ids.header_kind(header) == kind


@pytest.mark.parametrize("header", NOT_IDENTIFIERS)
def test_clinical_column_names_are_not_identifiers(header):
    assert ids.header_kind(header) is None


@pytest.mark.parametrize(
    ("header", "normalised"),
    [
        ("FirstName", "first_name"),
        (" E-mail address ", "e_mail_address"),
        ("D.O.B.", "dob"),
        ("Ф.И.О.", "фио"),
        ("M.R.N.", "mrn"),
        ("№ истории болезни", "no_истории_болезни"),
        ("Prénom", "prenom"),
        ("Straße", "strasse"),
        ("Больной", "больнои"),
        ("Geb.-Datum", "geb_datum"),
        ("MRN#", "mrn_no"),
    ],
)
def test_normalise_name(header, normalised):
    assert ids.normalise_name(header) == normalised


def test_identifier_columns_names_what_each_looks_like_and_skips_allowed():
    found = ids.identifier_columns(["age", "dob", "Phone", "name"], allowed={"name"})
    assert found == {"dob": "a birth date", "Phone": "a phone number"}


# --- cell values --------------------------------------------------------------------------

VALUES = {
    # names with initials, patronymics, titles
    "Ivanov I.I.": ids.PERSON, "Ivanov I. I.": ids.PERSON, "Иванов И.И.": ids.PERSON,
    "Иванов И. И.": ids.PERSON, "J. Smith": ids.PERSON, "J.R. Smith": ids.PERSON,
    "И.И. Иванов": ids.PERSON, "Smith, J.": ids.PERSON, "Иван Иванович": ids.PERSON,
    "Петрова Анна Сергеевна": ids.PERSON, "seen by Dr. House": ids.PERSON,
    "Frau Müller": ids.PERSON, "Mme Dupont": ids.PERSON, "Sra. García": ids.PERSON,
    "wound infection, nurse J. Smith informed": ids.PERSON,
    # phone numbers
    "+7 900 000 00 01": ids.VALUE_PHONE, "8 (900) 123-45-67": ids.VALUE_PHONE,
    "(555) 123-4567": ids.VALUE_PHONE, "+49 30 1234567": ids.VALUE_PHONE,
    "call 06 12 34 56 78 first": ids.VALUE_PHONE,
    # e-mail
    "john.smith@example.org": ids.VALUE_EMAIL, "ivanov@mail.ru": ids.VALUE_EMAIL,
    # full dates in a text column
    "1960-01-01": ids.FULL_DATE, "01.02.1960": ids.FULL_DATE, "12/03/60": ids.FULL_DATE,
    "03/24/1960": ids.FULL_DATE, "12 марта 1960": ids.FULL_DATE,
    "3 March 1960": ids.FULL_DATE, "March 3, 1960": ids.FULL_DATE,
    "12. März 1960": ids.FULL_DATE, "revision on 2016-05-04": ids.FULL_DATE,
    # national identity and insurance numbers
    "112-233-445 95": ids.SNILS,  # SNILS layout (its check digits hold too)
    "11223344595": ids.SNILS,  # 1*9+1*8+2*7+2*6+3*5+3*4+4*3+4*2+5*1 = 95: check digits 95
    "123-45-6789": ids.SSN,
    # 9*10+4*9+3*8+4*7+7*6+6*5+5*4+9*3+1*2 = 299; 299 mod 11 = 2; 11 - 2 = 9
    "943 476 5919": ids.NHS,
    "9434765919": ids.NHS,
    "2 55 08 14 168 025 38": ids.NIR,  # 97 - 2550814168025 mod 97 = 38
    "12345678Z": ids.DNI,  # 12345678 mod 23 = 14 -> letter 14 of TRWAGMYFPDXBNJZ... = Z
    "X1234567L": ids.DNI,  # X = 0: 01234567 mod 23 = 19 -> L
    "BADD110101HCMLNS09": ids.CURP,
    "A123456789": ids.KVNR,
    # record numbers
    "№ 12345": ids.VALUE_RECORD, "И/Б 4567": ids.VALUE_RECORD, "12345/2015": ids.VALUE_RECORD,
    "MRN 1234567": ids.VALUE_RECORD, "MRN: 123": ids.VALUE_RECORD,
    "123456789": ids.LONG_NUMBER, "12345678901": ids.LONG_NUMBER,
}  # fmt: skip

#: Values a cohort legitimately holds: codes, grades, numbers, study codes, free text.
NOT_IDENTIFYING = [
    "metastasectomy", "decompression", "targeted", "cytokine", "thoracic", "A", "E", "0", "1",
    "56", "12.5", "14,25", "-3", "1e300", "0.0", "14.2505133470226", "P001", "T01", "S012",
    "RCC-017", "temporary", "irreversible", "surgical site infection",
    "surgical site infection, deep", "implant failure", "Frankel C. Improved",
    "Frankel C to D", "hepatitis B.", "grade C. Patient improved", "L4-L5 screw loosening",
    "Th12", "VAS 8", "2.5 months", "120/80", "E. coli", "DVT", "revision 2 times",
    "Wound dehiscence (Frankel D).", "pneumonia; \"severe\"\nsecond line",
    "временный", "необратимый", "инфекция области хирургического вмешательства",
    "Нарастание неврологического дефицита (Frankel C)", "Wundinfektion", "vorübergehend",
    "infection du site opératoire", "transitoire", "infección de herida quirúrgica",
    "1,234", "2015", "T12-L1", "4 decompressions 2015", "may improve by 2016",
]  # fmt: skip


@pytest.mark.parametrize(("value", "kind"), sorted(VALUES.items()))
def test_identifier_values_are_recognised(value, kind):
    assert ids.value_kind(value) == kind


@pytest.mark.parametrize("value", NOT_IDENTIFYING)
def test_cohort_values_are_not_identifiers(value):
    assert ids.value_kind(value) is None
    assert ids.key_kind(value) is None or value in ("14.2505133470226", "120/80")


def test_check_digits():
    assert ids.snils_valid("11223344595") and not ids.snils_valid("11223344596")
    assert ids.nhs_valid("9434765919") and not ids.nhs_valid("9434765918")
    assert ids.nir_valid("255081416802538") and not ids.nir_valid("255081416802539")


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("P001", None), ("S001", None), ("T01", None), ("RCC-017", None), ("001", None),
        ("P000001", None),
        ("1234567", "a record number (7 or more digits)"),
        ("MK20151234", "a record number (7 or more digits)"),
        ("123/15", ids.VALUE_RECORD), ("№12", ids.VALUE_RECORD),
        ("Anna Ivanova", ids.PERSON), ("Анна Иванова", ids.PERSON), ("Ivanov I.I.", ids.PERSON),
        ("1960-01-01", ids.FULL_DATE),
    ],
)  # fmt: skip
def test_patient_id_must_be_a_pseudonymous_code(value, kind):
    assert ids.key_kind(value) == kind


def test_screen_looks_at_each_distinct_value_once():
    seen: list[object] = []

    def kind_of(value: object) -> str | None:
        seen.append(value)
        return "x" if value == "b" else None

    column = pd.Series(["a", "b", None, "a", "b"], index=[2, 3, 4, 5, 6])
    result = ids.screen(column, kind_of)
    assert result.tolist() == [None, "x", None, None, "x"]
    assert list(result.index) == [2, 3, 4, 5, 6]
    assert sorted(seen) == ["a", "b"]


def test_the_bundled_cohort_and_the_valid_test_cohort_hold_no_identifier(tmp_path):
    for cohort in (load_cohort(), load_cohort(*write(tmp_path))):
        for table in (cohort.patients, cohort.complications):
            for column in table.columns:
                kind_of = ids.key_kind if column == "patient_id" else ids.value_kind
                flagged = ids.screen(table[column].astype(str), kind_of).dropna()
                assert flagged.empty, (column, flagged.tolist())


# --- the loader's guard: headers ----------------------------------------------------------


def _with_identifier_columns(tmp_path):
    p = rows("patients.csv")
    p[0] += ["Surname", "DOB"]
    for i, r in enumerate(p[1:]):
        r += [f"Ivanov{i}", "1960-01-01"]
    return write(tmp_path, p)


def test_cohort_with_identifier_columns_is_refused_naming_the_columns(tmp_path):
    report = validate_cohort(*_with_identifier_columns(tmp_path))
    assert [(p.file, p.row, p.column, p.issue) for p in report] == [
        ("patients.csv", None, "Surname", "looks like a direct identifier (a name)"),
        ("patients.csv", None, "DOB", "looks like a direct identifier (a birth date)"),
    ]
    with pytest.raises(CohortValidationError, match="column Surname: looks like a direct"):
        load_cohort(*_with_identifier_columns(tmp_path))


def test_allowed_identifier_columns_are_dropped_before_the_frame_is_returned(tmp_path):
    cohort = load_cohort(*_with_identifier_columns(tmp_path), allow_identifiers=True)
    assert "Surname" not in cohort.patients.columns and "DOB" not in cohort.patients.columns
    assert not cohort.patients.isin(["Ivanov0"]).any().any()
    assert cohort.notes == ("patients.csv: dropped identifier columns Surname, DOB",)


def test_identifier_columns_in_the_complications_file_are_refused_too(tmp_path):
    c = rows("complications.csv")
    c[0].append("email")
    for r in c[1:]:
        r.append("x@example.org")
    lines = validate_cohort(*write(tmp_path, complications=c)).lines()
    assert len(lines) == 1 and lines[0].startswith(
        "complications.csv, column email: looks like a direct identifier (an e-mail address)"
    )


def test_the_issue_s_headers_are_all_refused(tmp_path):
    headers = [
        "Ф.И.О.", "D.O.B.", "M.R.N.", "Дата рождения", "СНИЛС", "№ истории болезни",
        "Geburtsdatum", "patient",
    ]  # fmt: skip
    p = rows("patients.csv")
    p[0] += headers
    for r in p[1:]:
        r += ["x"] * len(headers)
    report = validate_cohort(*write(tmp_path, p))
    assert [(p.row, p.column) for p in report] == [(None, h) for h in headers]
    assert all(p.issue.startswith("looks like a direct identifier (") for p in report)


# --- the loader's guard: values -----------------------------------------------------------


def _with_comment(tmp_path, comments):
    p = rows("patients.csv")
    p[0].append("comment")
    for r, text in zip(p[1:], comments, strict=True):
        r.append(text)
    return write(tmp_path, p)


COMMENTS = ["ok", "call +7 900 123-45-67", "", "Ivanov I.I.", "born 01.02.1960", "x@y.org"]


def test_identifier_values_are_refused_naming_row_column_and_kinds_never_the_value(tmp_path):
    report = validate_cohort(*_with_comment(tmp_path, COMMENTS))
    assert [(p.file, p.row, p.column, p.value) for p in report] == [
        ("patients.csv", 3, "comment", None)
    ]
    line = report.lines()[0]
    assert line.startswith(
        "patients.csv, row 3, column comment: looks like a direct identifier (a phone number; "
        "a person's name; a full date (such as a date of birth); an e-mail address; "
        "rows 3, 5, 6 and 1 more) — expected no direct identifiers"
    )
    for secret in ("900", "Ivanov", "1960", "x@y.org"):
        assert secret not in line


def test_allowed_identifier_values_drop_the_column(tmp_path):
    cohort = load_cohort(*_with_comment(tmp_path, COMMENTS), allow_identifiers=True)
    assert "comment" not in cohort.patients.columns
    assert cohort.notes == ("patients.csv: dropped identifier columns comment",)


def test_a_detail_with_an_identifier_is_refused_or_dropped(tmp_path):
    c = rows("complications.csv")
    set_cell(c, 3, "detail", "wound infection; surgeon Petrov P.P. informed")
    p, cfile = write(tmp_path, complications=c)
    assert (
        validate_cohort(p, cfile)
        .lines()[0]
        .startswith(
            "complications.csv, row 3, column detail: looks like a direct identifier "
            "(a person's name; row 3)"
        )
    )
    cohort = load_cohort(p, cfile, allow_identifiers=True)
    assert cohort.complications["detail"].tolist() == ["", "", "", ""]
    assert cohort.notes == ("complications.csv: dropped identifier columns detail",)


def _record_number_ids(tmp_path):
    p, c = rows("patients.csv"), rows("complications.csv")
    numbers = {f"T0{i}": f"МК-{2015000 + i}" for i in range(1, 7)}
    for table in (p, c):
        for r in table[1:]:
            r[0] = numbers[r[0]]
    return write(tmp_path, p, c)


def test_patient_ids_that_are_record_numbers_are_refused(tmp_path):
    lines = validate_cohort(*_record_number_ids(tmp_path)).lines()
    assert [line.split(" — ")[0] for line in lines] == [
        "patients.csv, row 2, column patient_id: looks like a direct identifier (a record "
        "number (7 or more digits); rows 2, 3, 4 and 3 more)",
        "complications.csv, row 2, column patient_id: looks like a direct identifier (a record "
        "number (7 or more digits); rows 2, 3, 4 and 1 more)",
    ]
    assert "a pseudonymous study code" in lines[0]
    assert "МК-" not in "\n".join(lines)


def test_allowed_record_number_ids_are_replaced_by_study_codes_in_both_tables(tmp_path):
    cohort = load_cohort(*_record_number_ids(tmp_path), allow_identifiers=True)
    assert cohort.patients["patient_id"].tolist() == [
        "P001",
        "P002",
        "P003",
        "P004",
        "P005",
        "P006",
    ]
    (tmp_path / "valid").mkdir()
    valid = load_cohort(*write(tmp_path / "valid"))
    to_new = dict(zip(valid.patients["patient_id"], cohort.patients["patient_id"], strict=True))
    assert cohort.complications["patient_id"].tolist() == [
        to_new[pid] for pid in valid.complications["patient_id"]
    ]
    assert cohort.notes[-1] == (
        "patient_id values look like direct identifiers: replaced by study codes P001.. in the "
        "patients file's row order"
    )
    pd.testing.assert_frame_equal(
        cohort.patients.drop(columns="patient_id"), valid.patients.drop(columns="patient_id")
    )


def test_pseudonymous_ids_grow_with_the_cohort():
    assert pseudonymous_ids(pd.Series(["a", "b"])) == {"a": "P001", "b": "P002"}
    codes = pseudonymous_ids(pd.Series([str(i) for i in range(1000)]))
    assert codes["0"] == "P0001" and codes["999"] == "P1000"


def test_an_identifier_in_a_code_column_is_not_shown_in_the_message(tmp_path):
    p = rows("patients.csv")
    set_cell(p, 2, "surgery", "Ivanov I.I.")
    set_cell(p, 3, "surgery", "en bloc")
    lines = validate_cohort(*write(tmp_path, p)).lines()
    assert lines == [
        "patients.csv, row 2, column surgery: a value that looks like a person's name (not "
        "shown) — expected one of metastasectomy, decompression",
        "patients.csv, row 3, column surgery: value 'en bloc' — expected one of "
        "metastasectomy, decompression",
    ]


def test_a_duplicate_patient_id_that_is_an_identifier_is_not_shown(tmp_path):
    problem = Problem(
        "p.csv", 3, "patient_id", "Anna Ivanova", "each patient_id once", "is used again"
    )
    assert str(problem) == (
        "p.csv, row 3, column patient_id: a value that looks like a person's name (not shown) "
        "is used again — expected each patient_id once"
    )


def test_validate_cli_allow_identifiers(tmp_path, capsys):
    p, c = _with_identifier_columns(tmp_path)
    assert main(["validate", "--patients", str(p), "--complications", str(c)]) == 2
    assert "column DOB: looks like a direct identifier" in capsys.readouterr().out
    args = ["validate", "--patients", str(p), "--complications", str(c), "--allow-identifiers"]
    assert main(args) == 0
    assert "dropped identifier columns Surname, DOB" in capsys.readouterr().out


# --- the documentation ----------------------------------------------------------------------

#: The kinds each row of data/README.md's table of header examples may give.
DOCUMENTED_KINDS = {
    "a name": {ids.NAME},
    "a record number": {ids.RECORD},
    "an insurance or social security number": {ids.INSURANCE},
    "a national identity or tax number, a passport number": {ids.NATIONAL_ID, ids.PASSPORT},
    "a birth date": {ids.BIRTH},
    "an address or a postal code": {ids.ADDRESS, ids.POSTAL},
    "a phone number, an e-mail address or contact details": {ids.PHONE, ids.EMAIL, ids.CONTACT},
}


def test_every_header_example_of_the_data_dictionary_is_recognised():
    readme = (paths.DATA_DIR / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (a [^|]*|an [^|]*) \| (.*) \|$", readme, flags=re.MULTILINE)
    assert sorted(label for label, _ in rows) == sorted(DOCUMENTED_KINDS)
    for label, cells in rows:
        examples = [e.strip() for cell in cells.split(" | ") for e in cell.split(",")]
        assert len(examples) >= 10
        for example in examples:
            assert ids.header_kind(example) in DOCUMENTED_KINDS[label], (label, example)


def test_a_column_of_the_other_table_is_screened_like_any_column_outside_the_format(tmp_path):
    """``category`` belongs to complications: in the patients file it is screened, then dropped."""
    p = rows("patients.csv")
    p[0].append("category")
    for r, text in zip(p[1:], ["", "", "Ivanov I.I.", "", "", ""], strict=True):
        r.append(text)
    lines = validate_cohort(*write(tmp_path, p)).lines()
    assert len(lines) == 1
    assert lines[0].startswith(
        "patients.csv, row 4, column category: looks like a direct identifier (a person's name"
    )
