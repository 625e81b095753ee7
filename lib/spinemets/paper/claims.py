"""The paper's numbers, machine-readable: the one home of every number the paper prints.

``data/published/ptashnikov2020.yaml`` holds two lists:

* ``claims``: each number (or interval) the paper prints, with the verbatim
  phrase it comes from, the tolerance its printed precision implies (half the
  last printed digit) and the named computation that recomputes it from a cohort
  (:data:`COMPUTATIONS`; the vocabulary is documented in
  ``data/published/README.md``; :mod:`spinemets.paper.recompute` evaluates it);
* ``derived``: numbers the paper does not print but fixes by arithmetic on
  printed ones (74 cytokine patients = 100 - 26), each with the sentence that
  licenses the arithmetic; the value written in the file is checked on load.

Everything else in the package that needs one of the paper's numbers (the
reconstruction, the calibration targets, the consistency checks) reads it from
here (:func:`load_claims`, :func:`load_numbers`), never from a literal of its own.

The file is validated on load: an unknown computation or argument, a missing
field, a duplicate id, or a derived value that its operands do not give raises
:class:`ClaimsError` naming the file, the entry and the field.

Tested by ``tests/paper/test_claims.py``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd
import yaml

from .. import paths
from ..errors import SpinemetsError

SECTIONS: tuple[str, ...] = ("abstract", "methods", "results", "figure_legend")
UNITS: tuple[str, ...] = (
    "patients",
    "events",
    "percent",
    "years",
    "months",
    "days",
    "vas",
    "p",
    "chisq",
    "count",
    "level",
    "calendar_year",
)
BOUNDS: tuple[str, ...] = ("upper", "lower")


@dataclass(frozen=True)
class Computation:
    """A recomputation recipe: its arguments and whether it gives a value or an interval."""

    name: str
    required: frozenset[str]
    optional: frozenset[str]
    result: str  # "value" | "interval" | "none"
    definition: str


def _c(name: str, required: str, optional: str, result: str, definition: str) -> Computation:
    return Computation(
        name, frozenset(required.split()), frozenset(optional.split()), result, definition
    )


#: The computation vocabulary. ``where`` maps columns to a value or a list of values.
COMPUTATIONS: dict[str, Computation] = {
    c.name: c
    for c in (
        _c(
            "count",
            "",
            "table where",
            "value",
            "rows of `table` (default patients) matching `where`",
        ),
        _c("count_distinct", "table column", "where", "value", "distinct values of `column`"),
        _c("count_greater", "column than", "where", "value", "patients with `column` > `than`"),
        _c("percent", "where", "among", "value", "100 x n(where and among) / n(among)"),
        _c("median", "column", "where", "value", "sample median of `column` (R median)"),
        _c("range", "column", "where", "interval", "[min, max] of `column` (R range)"),
        _c("mean", "column", "where", "value", "arithmetic mean of `column`"),
        _c(
            "mean_ci",
            "column conf_level",
            "where",
            "interval",
            "mean +- t(1 - alpha/2, n - 1) sd / sqrt(n) (R t.test)",
        ),
        _c(
            "km_median",
            "endpoint strata group",
            "conf_type",
            "value",
            "Kaplan-Meier median (R survfit / print.survfit)",
        ),
        _c(
            "km_median_ci",
            "endpoint strata group conf_type",
            "",
            "interval",
            "CI of the Kaplan-Meier median (R survfit, conf.type)",
        ),
        _c(
            "km_survival",
            "endpoint strata group time",
            "conf_type",
            "value",
            "100 x Kaplan-Meier S(time) (R summary.survfit(times=))",
        ),
        _c("logrank_p", "endpoint strata", "", "value", "log-rank p (R survdiff)"),
        _c(
            "chisq_yates",
            "row column",
            "",
            "value",
            "Pearson chi-square with Yates' correction (R chisq.test)",
        ),
        _c("chisq_yates_p", "row column", "", "value", "its p-value (R chisq.test)"),
        _c(
            "mcnemar_p",
            "before after positive",
            "",
            "value",
            "McNemar p, `positive` levels vs the rest (R mcnemar.test)",
        ),
        _c(
            "wilcoxon_paired_p",
            "before after",
            "",
            "value",
            "paired Wilcoxon signed-rank p (R wilcox.test(paired=TRUE))",
        ),
        _c("context", "", "", "none", "a stated number that is not a result of the cohort"),
    )
}

ENDPOINTS = ("os", "lpfs")
#: YAML's safe loader, in C where PyYAML has libyaml (the same documents, ten times faster:
#: every notebook reads the claims file at its start).
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
STRATA = ("all", "surgery", "adjuvant_therapy")
_ID_PATTERN = re.compile(r"[a-z][a-z0-9_]*")
_REQUIRED_FIELDS = ("id", "section", "quote", "printed", "unit", "tolerance", "computation")
_OPTIONAL_FIELDS = ("value", "interval", "bound", "args", "conflict", "conflicts_with", "followed")
_OPTIONAL_FIELDS += ("note",)


class ClaimsError(SpinemetsError):
    """The claims file does not follow its schema (data/published/README.md)."""


@dataclass(frozen=True)
class Claim:
    """One number (or interval) printed by the paper, with how to recompute it."""

    id: str
    section: str
    quote: str
    printed: str
    unit: str
    tolerance: float
    computation: str
    args: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    value: float | None = None
    interval: tuple[float, float] | None = None
    bound: str | None = None
    conflict: str | None = None
    conflicts_with: tuple[str, ...] = ()
    followed: bool = True
    note: str | None = None

    @property
    def recomputable(self) -> bool:
        """False for ``context`` claims, which no cohort can reproduce."""
        return self.computation != "context"

    @property
    def decimals(self) -> int:
        """Decimals the paper prints this number with (0 for spelled-out numbers)."""
        found = re.findall(r"\d*\.(\d+)", self.printed)
        return max((len(d) for d in found), default=0)

    @property
    def published(self) -> str:
        """The published number as a reader sees it: ``"29.7"``, ``"< .0001"``, ``"17–29"``."""
        prefix = {"upper": "< ", "lower": "> "}.get(self.bound or "", "")
        if self.printed.replace(".", "", 1).replace("–", "").isdigit() or self.interval:
            return prefix + self.printed
        return self.printed if self.value is None else f"{self.value:g} ({self.printed})"

    def format_value(self, reproduced: float | tuple[float, float] | None) -> str:
        """A reproduced value at the claim's printed precision (``""`` for None).

        Bounded p-values ("P < .0001") are shown with 2 significant digits, since
        the paper gives no precision for them.
        """
        if reproduced is None:
            return ""
        if self.interval is not None:
            lo, hi = reproduced  # type: ignore[misc]
            return f"{lo:.{self.decimals}f}–{hi:.{self.decimals}f}"
        if self.bound is not None:
            return f"{float(reproduced):.2g}"  # type: ignore[arg-type]
        return f"{float(reproduced):.{self.decimals}f}"  # type: ignore[arg-type]

    def agrees(self, reproduced: float | tuple[float, float] | None) -> bool:
        """Whether a reproduced value agrees with the claim at its printed precision.

        A value agrees when ``|reproduced - value| <= tolerance`` (a tiny slack
        absorbs binary rounding); an interval when both ends do; a ``bound: upper``
        claim ("P < .0001") when ``reproduced < value``. ``None`` never agrees.
        """
        if reproduced is None:
            return False
        slack = 1e-9
        if self.interval is not None:
            lo, hi = reproduced  # type: ignore[misc]
            return all(
                _finite(x) and abs(x - t) <= self.tolerance + slack
                for x, t in zip((lo, hi), self.interval, strict=True)
            )
        x = float(reproduced)  # type: ignore[arg-type]
        if not _finite(x):
            return False
        if self.bound == "upper":
            return x < self.value  # type: ignore[operator]
        if self.bound == "lower":
            return x > self.value  # type: ignore[operator]
        return abs(x - self.value) <= self.tolerance + slack  # type: ignore[operator]


def _finite(x: Any) -> bool:
    try:
        return math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def _freeze(obj: Any) -> Any:
    if isinstance(obj, dict):
        return MappingProxyType({k: _freeze(v) for k, v in obj.items()})
    if isinstance(obj, list):
        return tuple(_freeze(v) for v in obj)
    return obj


def _thaw(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return {k: _thaw(v) for k, v in obj.items()}
    if isinstance(obj, tuple):
        return [_thaw(v) for v in obj]
    return obj


def _number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _parse_claim(entry: Any, where: str) -> Claim:
    def fail(fld: str, value: Any, expected: str) -> ClaimsError:
        return ClaimsError(f"{where}, field {fld!r}: {value!r}; expected {expected}")

    if not isinstance(entry, dict):
        raise fail("(entry)", entry, "a mapping of fields")
    for fld in _REQUIRED_FIELDS:
        if fld not in entry or entry[fld] is None or entry[fld] == "":
            raise fail(fld, entry.get(fld), "a value (required field)")
    unknown = sorted(set(entry) - set(_REQUIRED_FIELDS) - set(_OPTIONAL_FIELDS))
    if unknown:
        raise fail(unknown[0], entry[unknown[0]], f"one of {_REQUIRED_FIELDS + _OPTIONAL_FIELDS}")
    if not isinstance(entry["id"], str) or not _ID_PATTERN.fullmatch(entry["id"]):
        raise fail("id", entry["id"], "snake_case text")
    if entry["section"] not in SECTIONS:
        raise fail("section", entry["section"], f"one of {SECTIONS}")
    for fld in ("quote", "printed"):
        if not isinstance(entry[fld], str) or not entry[fld].strip():
            raise fail(fld, entry[fld], "non-empty text")
    if entry["printed"] not in entry["quote"]:
        raise fail("printed", entry["printed"], "text that occurs in the quote")
    if entry["unit"] not in UNITS:
        raise fail("unit", entry["unit"], f"one of {UNITS}")
    if not _number(entry["tolerance"]) or entry["tolerance"] < 0:
        raise fail("tolerance", entry["tolerance"], "a number >= 0")

    has_value, has_interval = "value" in entry, "interval" in entry
    if has_value == has_interval:
        raise fail("value", entry.get("value"), "exactly one of 'value' or 'interval'")
    value = interval = None
    if has_value:
        if not _number(entry["value"]):
            raise fail("value", entry["value"], "a number")
        value = float(entry["value"])
    else:
        iv = entry["interval"]
        if not (isinstance(iv, list) and len(iv) == 2 and all(_number(x) for x in iv)):
            raise fail("interval", iv, "[lower, upper], two numbers")
        if iv[0] > iv[1]:
            raise fail("interval", iv, "lower <= upper")
        interval = (float(iv[0]), float(iv[1]))
    bound = entry.get("bound")
    if bound is not None and (bound not in BOUNDS or not has_value):
        raise fail("bound", bound, f"one of {BOUNDS}, with a 'value'")

    name = entry["computation"]
    if name not in COMPUTATIONS:
        raise fail("computation", name, f"one of {sorted(COMPUTATIONS)}")
    comp = COMPUTATIONS[name]
    args = entry.get("args") or {}
    if not isinstance(args, dict):
        raise fail("args", args, "a mapping of argument names to values")
    missing = sorted(comp.required - set(args))
    if missing:
        raise fail("args", args, f"argument(s) {missing} for computation {name!r}")
    extra = sorted(set(args) - comp.required - comp.optional)
    if extra:
        raise fail(
            "args", args, f"only {sorted(comp.required | comp.optional)} for computation {name!r}"
        )
    if comp.result == "interval" and not has_interval:
        raise fail("interval", None, f"an 'interval' for computation {name!r}")
    if comp.result == "value" and not has_value:
        raise fail("value", None, f"a 'value' for computation {name!r}")
    if "endpoint" in args and args["endpoint"] not in ENDPOINTS:
        raise fail("args.endpoint", args["endpoint"], f"one of {ENDPOINTS}")
    if "strata" in args and args["strata"] not in STRATA:
        raise fail("args.strata", args["strata"], f"one of {STRATA}")
    if "table" in args and args["table"] not in ("patients", "complications"):
        raise fail("args.table", args["table"], "'patients' or 'complications'")
    for key in ("where", "among"):
        if key in args and not isinstance(args[key], dict):
            raise fail(f"args.{key}", args[key], "a mapping of column to value(s)")

    conflicts_with = entry.get("conflicts_with") or []
    if not isinstance(conflicts_with, list) or not all(isinstance(x, str) for x in conflicts_with):
        raise fail("conflicts_with", conflicts_with, "a list of claim ids")
    if conflicts_with and not entry.get("conflict"):
        raise fail("conflict", entry.get("conflict"), "a note explaining 'conflicts_with'")
    followed = entry.get("followed", True)
    if not isinstance(followed, bool):
        raise fail("followed", followed, "true or false")
    return Claim(
        id=entry["id"],
        section=entry["section"],
        quote=entry["quote"],
        printed=entry["printed"],
        unit=entry["unit"],
        tolerance=float(entry["tolerance"]),
        computation=name,
        args=_freeze(args),
        value=value,
        interval=interval,
        bound=bound,
        conflict=entry.get("conflict"),
        conflicts_with=tuple(conflicts_with),
        followed=followed,
        note=entry.get("note"),
    )


def _read(path: Path) -> tuple[str, dict]:
    """The file's display name and its parsed top-level mapping."""
    name = paths.display_path(path)
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except (OSError, yaml.YAMLError) as error:
        raise ClaimsError(f"{name}: cannot read claims ({error})") from error
    if not isinstance(doc, dict) or not isinstance(doc.get("claims"), list):
        raise ClaimsError(f"{name}: expected a mapping with a 'claims' list")
    return name, doc


def _parse_claims(name: str, doc: dict) -> list[Claim]:
    claims: list[Claim] = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(doc["claims"], start=1):
        label = entry.get("id") if isinstance(entry, dict) else None
        claim = _parse_claim(entry, f"{name}, claim {i} (id {label!r})")
        if claim.id in seen:
            raise ClaimsError(
                f"{name}, claim {i}, field 'id': {claim.id!r} duplicates claim {seen[claim.id]}; "
                "expected unique ids"
            )
        seen[claim.id] = i
        claims.append(claim)
    for i, claim in enumerate(claims, start=1):
        for other in claim.conflicts_with:
            if other not in seen:
                raise ClaimsError(
                    f"{name}, claim {i} (id {claim.id!r}), field 'conflicts_with': {other!r}; "
                    "expected the id of another claim"
                )
    return claims


def load_claims(path: str | Path = paths.CLAIMS_FILE) -> list[Claim]:
    """Read and validate a claims file; raise :class:`ClaimsError` on any schema error.

    The file's ``derived`` list, if any, is validated too (:func:`load_derived`),
    so a file that loads here is a file whose every number is consistent with
    its own arithmetic.
    """
    name, doc = _read(Path(path))
    claims = _parse_claims(name, doc)
    _parse_derived(name, doc, claims)
    return claims


def _args_text(args: Mapping[str, Any]) -> str:
    return json.dumps(_thaw(args), sort_keys=True, ensure_ascii=False)


def claims_frame(path: str | Path = paths.CLAIMS_FILE) -> pd.DataFrame:
    """The claims as a table: one row per claim; ``lower``/``upper`` hold intervals.

    Columns: id, section, quote, printed, value, lower, upper, bound, unit,
    tolerance, computation, args (JSON text, sorted keys), conflict (the note,
    empty if none), followed. Row order is the file's order.
    """
    rows = []
    for c in load_claims(path):
        rows.append(
            {
                "id": c.id,
                "section": c.section,
                "quote": c.quote,
                "printed": c.printed,
                "value": c.value,
                "lower": c.interval[0] if c.interval else None,
                "upper": c.interval[1] if c.interval else None,
                "bound": c.bound,
                "unit": c.unit,
                "tolerance": c.tolerance,
                "computation": c.computation,
                "args": _args_text(c.args),
                "conflict": c.conflict or "",
                "followed": c.followed,
            }
        )
    df = pd.DataFrame(rows)
    for col in ("value", "lower", "upper"):
        df[col] = df[col].astype(float)
    return df


# --------------------------------------------------------------------------- derived numbers

#: How a derived number is computed from its operands (claim or earlier derived ids).
DERIVATION_RULES: tuple[str, ...] = ("sum", "difference")
_DERIVED_FIELDS = ("id", "quote", "rule", "of", "value")
_DERIVED_OPTIONAL = ("note",)


@dataclass(frozen=True)
class DerivedNumber:
    """A number the paper fixes without printing it: ``rule`` applied to ``of``.

    ``sum`` adds the operands; ``difference`` is the first minus the second.
    ``quote`` is the paper's sentence that makes the arithmetic valid (e.g. "all
    patients received adjuvant therapy" for 74 = 100 - 26 cytokine patients).
    """

    id: str
    quote: str
    rule: str
    of: tuple[str, ...]
    value: float
    note: str | None = None


def _parse_derived(name: str, doc: dict, claims: Sequence[Claim]) -> dict[str, DerivedNumber]:
    entries = doc.get("derived") or []
    if not isinstance(entries, list):
        raise ClaimsError(f"{name}, field 'derived': expected a list of derived numbers")
    known: dict[str, float] = {c.id: c.value for c in claims if c.value is not None}
    claim_ids = {c.id for c in claims}
    derived: dict[str, DerivedNumber] = {}
    for i, entry in enumerate(entries, start=1):
        label = entry.get("id") if isinstance(entry, dict) else None
        where = f"{name}, derived {i} (id {label!r})"

        def fail(fld: str, value: Any, expected: str, where: str = where) -> ClaimsError:
            return ClaimsError(f"{where}, field {fld!r}: {value!r}; expected {expected}")

        if not isinstance(entry, dict):
            raise fail("(entry)", entry, "a mapping of fields")
        for fld in _DERIVED_FIELDS:
            if entry.get(fld) in (None, ""):
                raise fail(fld, entry.get(fld), "a value (required field)")
        unknown = sorted(set(entry) - set(_DERIVED_FIELDS) - set(_DERIVED_OPTIONAL))
        if unknown:
            raise fail(
                unknown[0], entry[unknown[0]], f"one of {_DERIVED_FIELDS + _DERIVED_OPTIONAL}"
            )
        number_id = entry["id"]
        if not isinstance(number_id, str) or not _ID_PATTERN.fullmatch(number_id):
            raise fail("id", number_id, "snake_case text")
        if number_id in claim_ids or number_id in derived:
            raise fail("id", number_id, "an id used by no claim and no other derived number")
        if not isinstance(entry["quote"], str) or not entry["quote"].strip():
            raise fail("quote", entry["quote"], "non-empty text")
        rule = entry["rule"]
        if rule not in DERIVATION_RULES:
            raise fail("rule", rule, f"one of {DERIVATION_RULES}")
        operands = entry["of"]
        if not isinstance(operands, list) or len(operands) < 2:
            raise fail("of", operands, "a list of at least two ids")
        if rule == "difference" and len(operands) != 2:
            raise fail("of", operands, "exactly two ids for 'difference'")
        missing = [o for o in operands if o not in known]
        if missing:
            raise fail("of", operands, "ids of claims with a value or of earlier derived numbers")
        values = [known[o] for o in operands]
        computed = sum(values) if rule == "sum" else values[0] - values[1]
        if not _number(entry["value"]) or not math.isclose(entry["value"], computed, abs_tol=1e-9):
            raise fail("value", entry["value"], f"{computed:g} ({rule} of {', '.join(operands)})")
        derived[number_id] = DerivedNumber(
            id=number_id,
            quote=entry["quote"],
            rule=rule,
            of=tuple(operands),
            value=float(computed),
            note=entry.get("note"),
        )
        known[number_id] = float(computed)
    return derived


def load_derived(path: str | Path = paths.CLAIMS_FILE) -> dict[str, DerivedNumber]:
    """The file's derived numbers by id, validated against the claims they are computed from."""
    name, doc = _read(Path(path))
    return _parse_derived(name, doc, _parse_claims(name, doc))


def load_numbers(path: str | Path = paths.CLAIMS_FILE) -> dict[str, float]:
    """Every single number of the file by id: each claim's ``value`` and each derived number.

    Interval claims (a range, a confidence interval) are left out: read them with
    :func:`load_claims`. This is how the rest of the package reads the paper's
    numbers (cell sizes, deaths, progressions), so the claims file stays their
    only home.
    """
    name, doc = _read(Path(path))
    claims = _parse_claims(name, doc)
    numbers = {c.id: c.value for c in claims if c.value is not None}
    numbers |= {d.id: d.value for d in _parse_derived(name, doc, claims).values()}
    return numbers


def whole_number(numbers: Mapping[str, float], number_id: str) -> int:
    """``numbers[number_id]`` as an int; a missing id or a fraction raises :class:`ClaimsError`."""
    if number_id not in numbers:
        raise ClaimsError(
            f"{paths.display_path(paths.CLAIMS_FILE)}: no claim or derived number "
            f"{number_id!r}; expected it in the claims file"
        )
    value = numbers[number_id]
    if value != int(value):
        raise ClaimsError(f"claim {number_id!r}: {value!r}; expected a whole number")
    return int(value)
