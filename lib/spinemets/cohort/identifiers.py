"""Direct identifiers in a cohort file: column names and cell values that identify a person.

DESIGN.md ("Privacy"): a cohort with direct identifiers -- names, record numbers,
birth dates, addresses, phone numbers, e-mail addresses, national identity or
insurance numbers; in any language, in headers or in values -- is refused unless
the user allows them, and then the flagged columns are dropped on loading
(:mod:`spinemets.cohort.prepare`). Two checks:

**Column names.** :func:`normalise_name` puts a header in one spelling: Unicode
compatibility form without diacritics (``Prénom`` -> ``prenom``, ``№`` -> ``no``,
``й`` -> ``и``), ``camelCase`` split, case folded (``Straße`` -> ``strasse``), every
run of other characters turned into ``_``, and runs of single letters joined, so
that abbreviations written with dots read as one word (``D.O.B.`` -> ``dob``,
``Ф.И.О.`` -> ``фио``, ``M.R.N.`` -> ``mrn``). :data:`HEADER_PATTERNS` are regular
expressions on that spelling, in English, Russian, German, French and Spanish
(the documented list: data/README.md, "Privacy").

**Cell values.** :func:`value_kind` says what a cell's text looks like, if it
looks like an identifier: an e-mail address; a phone number (9 to 15 digits
written with ``+``, brackets, spaces or dashes); a full date (day, month and year:
a date of birth, or any other full date, which HIPAA's Safe Harbor counts as an
identifier); a national identity or insurance number (SNILS with its check
digits or in its ``123-456-789 01`` layout, US SSN ``123-45-6789``, NHS number with
its modulus-11 check digit, French NIR with its key, Spanish DNI/NIE with its
check letter, Mexican CURP, German KVNR); a record number (``№ 12345``,
``12345/2015``, ``MRN 1234567``); any other run of 9 or more digits; a person's name
written with initials (``Ivanov I.I.``, ``Иванов И. И.``, ``J. Smith``, ``Smith, J.``),
with a Russian patronymic (``Иван Иванович``) or with a title (``Mr Smith``,
``Frau Müller``). :func:`key_kind` is stricter, for ``patient_id``, which must be
a pseudonymous study code: it also refuses 7 or more digits (a hospital record
number), a number with a slash (``123/15``), and two or more capitalised words
(``Anna Ivanova``).

These are heuristics: they catch what a spreadsheet of patients usually holds,
not every possible identifier; a column of free text can hold a name written in
full without initials, which no pattern can tell from ordinary words. Tested in
``tests/cohort/test_identifiers.py`` (and through loading in ``tests/test_privacy.py``
and the corpus, ``tests/cohort/test_corpus.py``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable

import pandas as pd

# --- column names -------------------------------------------------------------------------

_T = r"(?:^|_)"  # token start
_E = r"(?:_|$)"  # token end

NAME = "a name"
RECORD = "a record number"
INSURANCE = "an insurance or social security number"
NATIONAL_ID = "a national identity or tax number"
PASSPORT = "a passport number"
BIRTH = "a birth date"
ADDRESS = "an address"
POSTAL = "a postal code"
PHONE = "a phone number"
EMAIL = "an e-mail address"
CONTACT = "contact details"

#: (regular expression on the normalised column name, what it looks like). Patterns are
#: written in the normalised spelling (no diacritics: ``рождения``, ``nacimiento``;
#: ``й`` as ``и``: ``больнои``).
HEADER_PATTERNS: tuple[tuple[str, str], ...] = (
    # names: name, surname, first_name, Vorname, Nachname, nom, prénom, nombre, apellido...
    (r"name", NAME),
    (rf"{_T}(initials|fio|фио|имя|фамилия|отчество|nom|prenom|prenoms|apellidos?){_E}", NAME),
    (r"^nombres?$|nombre_(completo|y_apellidos?|del_paciente|paciente|de_pila)", NAME),
    # a column called just "patient" holds who the patient is
    (
        r"^(patient|patientin|pt|pat|пациент|пациентка|больнои|больная|"
        r"paciente|patiente)$",
        NAME,
    ),
    # record numbers: MRN, medical record, chart / case / hospital number, история болезни
    (rf"{_T}(mrn\d*|ipp|nip|nda|nhc|иб|emr|ehr){_E}", RECORD),
    (rf"{_T}record", RECORD),
    (
        r"(chart|hospital|case|admission|encounter|episode|visit|patient|patienten|fall|akten|"
        r"krankenblatt|aufnahme|dossier|historia|expediente|карты|истории|пациента)"
        rf"_?(no|nr|num|number|nummer|numero|номер){_E}",
        RECORD,
    ),
    (
        rf"{_T}(no|n|nr|num|number|numero|номер)_((de|du|del)_)?(patient|paciente|dossier|"
        rf"historia|истории|карты|пациента){_E}",
        RECORD,
    ),
    (r"истори[яи]_болезни|медицинская_карта|амбулаторная_карта|historia_clinica", RECORD),
    (rf"{_T}(медкарта|карта|dossier|expediente){_E}", RECORD),
    # insurance / social security: insurance, SSN, SNILS, NHS, Versicherung, NIR, NSS...
    (
        r"insur|versicher|social_?security|seguridad_social|securite_sociale|"
        r"sozialversicherung",
        INSURANCE,
    ),
    (
        rf"{_T}(ssn|snils|снилс|polis|полис|омс|nhs|chi|medicare|medicaid|kvnr|svnr|nir|nss|"
        rf"vitale|tarjeta_sanitaria){_E}",
        INSURANCE,
    ),
    # national identity and tax numbers: national ID, DNI, NIE, CURP, INN, Steuer-ID...
    (r"national_?id|identity_?card|id_?card|ausweis|identite|cedula", NATIONAL_ID),
    (rf"{_T}(dni|nie|nif|curp|rut|инн|tax|taxid|steuer\w*){_E}", NATIONAL_ID),
    (r"^inn$|steueridentifikation", NATIONAL_ID),
    (r"passport|passeport|pasaporte|reisepass|паспорт", PASSPORT),
    # birth dates: DOB, date of birth, Дата рождения, Geburtsdatum, date de naissance...
    (r"birth|рожд|geburt|naissance|nacimiento", BIRTH),
    (rf"{_T}(dob|born|др|geb|gebdat|ddn|fnac|f_nac|fecha_nac|nacido|nacida|fdn){_E}", BIRTH),
    (rf"{_T}nee?_le{_E}", BIRTH),
    # e-mail
    (r"e_?mail|courriel|correo|электронная_почта", EMAIL),
    (rf"{_T}(mail|почта|эл_почта){_E}", EMAIL),
    # addresses and places of residence
    (r"address|adress|adresse|адрес|street|strasse|anschrift|domicil|wohnort", ADDRESS),
    (rf"{_T}(улица|rue|calle|direccion|residence|city|town|ville|ciudad|город|stadt){_E}", ADDRESS),
    (rf"{_T}zip", POSTAL),
    (r"post_?code|postal|postleitzahl|почтов", POSTAL),
    (rf"{_T}plz{_E}", POSTAL),
    # phone numbers: phone, telephone, Telefon, телефон, tel, fax, mobile, Handy, móvil...
    (r"phone|telefon|телефон", PHONE),
    (rf"{_T}(tel|тел|fax|факс|handy|handynummer){_E}", PHONE),
    (r"^(mobile|mobil|cell|portable|movil|celular|мобильныи|моб|сотовыи)$", PHONE),
    (
        r"(mobile|mobil|cell|movil|celular|моб|мобильныи|сотовыи)_(no|nr|num|number|nummer|"
        r"numero|номер)",
        PHONE,
    ),
    (rf"{_T}(contact|contacts|контакт|контакты|kontakt|contacto){_E}", CONTACT),
)

_COMPILED_HEADERS = tuple((re.compile(p), kind) for p, kind in HEADER_PATTERNS)


def normalise_name(name: str) -> str:
    """One spelling of a column name (module docstring): ``"D.O.B."`` -> ``"dob"``.

    ``"FirstName"`` -> ``"first_name"``; ``" E-mail address "`` -> ``"e_mail_address"``;
    ``"№ истории болезни"`` -> ``"no_истории_болезни"``; ``"Ф.И.О."`` -> ``"фио"``.
    """
    text = str(name).replace("№", " no ").replace("#", " no ")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[а-яё0-9])(?=[А-ЯЁ])", "_", text)
    tokens = re.findall(r"[^\W_]+", text.casefold())
    words: list[str] = []
    letters: list[str] = []
    for token in tokens:
        if len(token) == 1 and token.isalpha():
            letters.append(token)
            continue
        if letters:
            words.append("".join(letters))
            letters = []
        words.append(token)
    if letters:
        words.append("".join(letters))
    return "_".join(words)


def header_kind(name: str) -> str | None:
    """What a column name looks like (``"a name"``, ``"a birth date"``...), or None."""
    normalised = normalise_name(name)
    for pattern, kind in _COMPILED_HEADERS:
        if pattern.search(normalised):
            return kind
    return None


def identifier_columns(columns: Iterable[str], allowed: Iterable[str] = ()) -> dict[str, str]:
    """The columns whose names look like direct identifiers, with what each looks like.

    ``allowed`` names are never flagged (the cohort format's own columns).
    """
    keep = set(allowed)
    found = {}
    for name in columns:
        if name not in keep and (kind := header_kind(name)) is not None:
            found[name] = kind
    return found


# --- cell values --------------------------------------------------------------------------

PERSON = "a person's name"
VALUE_PHONE = "a phone number"
VALUE_EMAIL = "an e-mail address"
FULL_DATE = "a full date (such as a date of birth)"
SNILS = "a Russian insurance number (SNILS)"
SSN = "a US social security number (SSN)"
NHS = "an NHS number"
NIR = "a French social security number (NIR)"
DNI = "a Spanish identity number (DNI/NIE)"
CURP = "a Mexican identity number (CURP)"
KVNR = "a German health insurance number (KVNR)"
VALUE_RECORD = "a record number"
LONG_NUMBER = "a long number (a record, phone or identity number)"

_UP = "A-ZÀ-ÖØ-ÞА-ЯЁ"
_LO = "a-zß-öø-ÿа-яё"
_SURNAME = rf"[{_UP}][{_LO}]+(?:[-'’][{_UP}]?[{_LO}]+)?"
_INITIAL = rf"[{_UP}]\."
#: Words a capital letter and a dot follow in clinical text ("Frankel C.", "hepatitis B."),
#: never taken for a surname next to initials.
CLINICAL_WORDS = frozenset(
    {
        "frankel", "grade", "grades", "type", "stage", "class", "asia", "group", "level",
        "hepatitis", "vitamin", "score", "zone", "tomita", "tokuhashi", "mcgill",
    }
)  # fmt: skip

_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
#: (pattern, group holding the word that must not be a clinical word, or None)
_NAME_PATTERNS: tuple[tuple[re.Pattern[str], str | None], ...] = (
    # surname and two initials: Ivanov I.I., Иванов И. И., Ivanov I. I
    (re.compile(rf"(?<![\w.])(?P<w>{_SURNAME})\s+{_INITIAL}\s*[{_UP}](?:\.|$)"), "w"),
    # surname, comma, initial: Smith, J.
    (re.compile(rf"(?<![\w.])(?P<w>{_SURNAME}),\s*{_INITIAL}(?!\w)"), "w"),
    # initials before a surname: J. Smith, J.R. Smith, И.И. Иванов (not "Frankel C. Improved")
    (
        re.compile(
            rf"(?:(?P<w>[^\W\d_]+)\s+)?(?<![\w.]){_INITIAL}\s*(?:{_INITIAL}\s*)?{_SURNAME}(?!\w)"
        ),
        "w",
    ),
    # Russian name and patronymic: Иван Иванович, Анна Петровна
    (re.compile(r"(?<!\w)[А-ЯЁ][а-яё]+\s+[А-ЯЁ][а-яё]+(?:ич|овна|евна|ична|инична)(?!\w)"), None),
    # a title before a surname: Mr Smith, Dr. House, Frau Müller, Mme Dupont, Sra. García
    (
        re.compile(
            rf"(?<!\w)(?:Mr|Mrs|Ms|Miss|Dr|Prof|Herr|Frau|Mme|Mlle|Sr|Sra|Srta|Monsieur|"
            rf"Madame|Señor|Señora|г-н|г-жа)\.?\s+{_SURNAME}(?!\w)"
        ),
        None,
    ),
)

#: Month names and abbreviations (English, German, French, Spanish as whole words; Russian
#: stems with any case ending: марта, мая).
_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t|tember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|januar|februar|märz|maerz|"
    r"mai|juni|juli|okt|oktober|dez|dezember|janvier|février|fevrier|mars|avril|juin|"
    r"juillet|août|aout|septembre|octobre|novembre|décembre|decembre|enero|febrero|marzo|"
    r"abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre)\.?"
    r"|(?:январ|феврал|март|апрел|ма[йя]|июн|июл|август|сентябр|октябр|ноябр|декабр)[а-я]*"
)
_DATES = (
    re.compile(r"(?<![\d.])(\d{4})-(\d{1,2})-(\d{1,2})(?![\d])"),
    re.compile(r"(?<![\w.,/-])(\d{1,2})[./-](\d{1,2})[./-](\d{4}|\d{2})(?![\w/-]|[.,]\d)"),
    re.compile(rf"(?<!\d)\d{{1,2}}\.?\s+(?:{_MONTHS}),?\s+\d{{4}}(?!\d)", re.I),
    re.compile(rf"(?<!\w)(?:{_MONTHS})\s+\d{{1,2}},?\s+\d{{4}}(?!\d)", re.I),
)
_RECORD_PATTERNS = (
    re.compile(
        r"(?:№|#|n°|\bnr\.?|\bno\.|\bmrn\b|\bnhc\b|номер|и/б|\bиб\b)\s*[:.]?\s*\d{3,}", re.I
    ),
    re.compile(r"(?<![\w/.])\d{4,}/\d{2,4}(?![\w/])"),
)
#: A run of digits written with the separators of phone and identity numbers.
_DIGIT_RUN = re.compile(r"\+?\(?\d[\d \-()]*\d\)?")
_SNILS_LAYOUT = re.compile(r"\d{3}-\d{3}-\d{3}[ -]\d{2}")
_SSN_LAYOUT = re.compile(r"\d{3}-\d{2}-\d{4}")
_DNI = re.compile(r"(?<![\w])(\d{8})-?([A-Z])(?!\w)|(?<![\w])([XYZ])-?(\d{7})-?([A-Z])(?!\w)")
_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
_CURP = re.compile(r"(?<![\w])[A-Z]{4}\d{6}[HM][A-Z]{5}[A-Z0-9]\d(?!\w)")
_KVNR = re.compile(r"(?<![\w])[A-Z]\d{9}(?!\w)")


def _date_like(text: str) -> bool:
    for pattern in _DATES[:2]:
        for match in pattern.finditer(text):
            a, b, c = (int(g) for g in match.groups())
            if pattern is _DATES[0]:
                year, month, day = a, b, c
            else:
                day, month, year = a, b, c
                if month > 12 and day <= 12:  # month first (03/24/1960)
                    day, month = month, day
            if 1 <= month <= 12 and 1 <= day <= 31 and (year < 100 or 1800 <= year <= 2200):
                return True
    return any(p.search(text) for p in _DATES[2:])


def snils_valid(digits: str) -> bool:
    """The SNILS check digits (the last two of 11) hold for the first nine."""
    if len(digits) != 11 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(9, 0, -1), strict=True))
    check = total if total < 100 else (0 if total in (100, 101) else total % 101)
    return (0 if check == 100 else check) == int(digits[9:])


def nhs_valid(digits: str) -> bool:
    """The NHS number's modulus-11 check digit (the 10th) holds for the first nine."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    remainder = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True)) % 11
    check = 11 - remainder
    return check != 10 and (0 if check == 11 else check) == int(digits[9])


def nir_valid(digits: str) -> bool:
    """A French NIR: 13 digits starting with the sex (1 or 2), then the key 97 - n mod 97."""
    if len(digits) != 15 or digits[0] not in "12":
        return False
    return 97 - int(digits[:13]) % 97 == int(digits[13:])


def _dni_valid(match: re.Match[str]) -> bool:
    if match.group(1):
        number, letter = int(match.group(1)), match.group(2)
    else:  # NIE: X, Y, Z stand for 0, 1, 2
        number = int(str("XYZ".index(match.group(3))) + match.group(4))
        letter = match.group(5)
    return _DNI_LETTERS[number % 23] == letter


def _number_kind(text: str) -> str | None:
    for match in _DIGIT_RUN.finditer(text):
        start, end = match.span()
        before = text[start - 1] if start else ""
        after = text[end : end + 2]
        if before and (before.isalnum() or before in ".,/"):
            continue
        if after[:1].isalnum() or (after[:1] in ".,/" and after[1:2].isdigit()):
            continue
        run = match.group().strip()
        digits = re.sub(r"\D", "", run)
        if len(digits) < 9:
            continue
        if _SNILS_LAYOUT.fullmatch(run) or snils_valid(digits):
            return SNILS
        if _SSN_LAYOUT.fullmatch(run):
            return SSN
        if nhs_valid(digits) and re.fullmatch(r"\d{3}[ -]?\d{3}[ -]?\d{4}", run):
            return NHS
        if nir_valid(digits):
            return NIR
        if len(digits) <= 15 and (run.startswith(("+", "(")) or re.search(r"\d[ \-()]+\d", run)):
            return VALUE_PHONE
        return LONG_NUMBER
    return None


def _name_kind(text: str) -> str | None:
    for pattern, word in _NAME_PATTERNS:
        for match in pattern.finditer(text):
            if word is None or (match.group(word) or "").casefold() not in CLINICAL_WORDS:
                return PERSON
    return None


def value_kind(text: object) -> str | None:
    """What a cell's text looks like, if it looks like a direct identifier (module docstring)."""
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return None
    s = str(text)
    if "@" in s and _EMAIL.search(s):
        return VALUE_EMAIL
    if any(c.isdigit() for c in s):
        if _date_like(s):
            return FULL_DATE
        if any(p.search(s) for p in _RECORD_PATTERNS):
            return VALUE_RECORD
        if kind := _number_kind(s):
            return kind
        if _CURP.search(s):
            return CURP
        if any(_dni_valid(m) for m in _DNI.finditer(s)):
            return DNI
        if _KVNR.search(s):
            return KVNR
    if "." in s or " " in s or "," in s:
        return _name_kind(s)
    return None


_KEY_NAME = re.compile(rf"{_SURNAME}(?:[\s-]+{_SURNAME})+")
_KEY_SLASH = re.compile(r"\d+\s*/\s*\d+")
#: A short prefix and at most six digits (``S001``, ``RCC-017``, ``P000001``): a study code
#: that none of the checks below would flag, recognised first because most ids are such.
_STUDY_CODE = re.compile(r"[A-Za-z]{0,4}[-_]?\d{1,6}")


def key_kind(text: object) -> str | None:
    """What a ``patient_id`` looks like, if it is not a pseudonymous code (module docstring)."""
    if text is None or (isinstance(text, str) and _STUDY_CODE.fullmatch(text.strip())):
        return None
    kind = value_kind(text)
    if kind is not None:
        return kind
    s = str(text).strip()
    if sum(map(str.isdigit, s)) >= 7:
        return "a record number (7 or more digits)"
    if _KEY_SLASH.search(s) or "№" in s:
        return VALUE_RECORD
    if _KEY_NAME.fullmatch(s):
        return PERSON
    return None


def screen(column: pd.Series, kind_of: Callable[[object], str | None]) -> pd.Series:
    """The identifier kind of each cell of a column (None where it looks like none).

    Each distinct value is looked at once, so a column of 100,000 codes costs little.
    """
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    kinds = [kind_of(u) for u in uniques]
    out = [None if c < 0 else kinds[c] for c in codes]
    return pd.Series(out, index=column.index, dtype=object)
