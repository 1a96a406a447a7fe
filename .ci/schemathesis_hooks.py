"""Schemathesis hooks for Ponte's OpenAPI document (loaded by .ci/schemathesis.toml).

Strategies for the custom string formats the document uses where a regular expression can't
state the whole rule. Each produces only values the host accepts, so "schema-valid request
rejected" keeps meaning what it says.
"""

from hypothesis import strategies as st

import schemathesis


def _cpf(base: list[int]) -> str:
    digits = list(base)
    for length in (9, 10):
        total = sum(d * (length + 1 - i) for i, d in enumerate(digits[:length]))
        check = (total * 10) % 11 % 10
        digits.append(check)
    return "".join(map(str, digits))


def _cnpj(base: list[int]) -> str:
    digits = list(base)
    for weights in ([5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2], [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]):
        total = sum(d * w for d, w in zip(digits, weights))
        remainder = total % 11
        digits.append(0 if remainder < 2 else 11 - remainder)
    return "".join(map(str, digits))


def _punctuated(document: str) -> str:
    if len(document) == 11:
        return f"{document[:3]}.{document[3:6]}.{document[6:9]}-{document[9:]}"
    return f"{document[:2]}.{document[2:5]}.{document[5:8]}/{document[8:12]}-{document[12:]}"


def _not_repeated(base: list[int]) -> bool:
    return len(set(base)) > 1


_cpfs = st.lists(st.integers(0, 9), min_size=9, max_size=9).filter(_not_repeated).map(_cpf)
_cnpjs = st.lists(st.integers(0, 9), min_size=12, max_size=12).filter(_not_repeated).map(_cnpj)
_documents = st.one_of(_cpfs, _cnpjs)

# A CPF or CNPJ with valid check digits, bare or punctuated.
schemathesis.openapi.format("cpf-cnpj", st.one_of(_documents, _documents.map(_punctuated)))

# One date, in both accepted forms: `list_fiscal_notes` refuses a `from` after its `to`, a rule
# between two fields no schema keyword states; one date keeps every generated pair in order.
schemathesis.openapi.format("calendar-date", st.sampled_from(["2026-03-15", "15/03/2026"]))


def _reais(cents: int) -> str:
    whole, fraction = divmod(cents, 100)
    grouped = f"{whole:,}".replace(",", ".")
    return f"{grouped},{fraction:02d}"


_instants = st.tuples(
    st.integers(2020, 2030), st.integers(1, 12), st.integers(1, 28),
    st.integers(0, 23), st.integers(0, 59), st.integers(0, 59),
    st.sampled_from(["Z", "-03:00", "+00:00", "-02:00"]),
)
schemathesis.openapi.format(
    "date-time-offset",
    _instants.map(lambda t: f"{t[0]:04d}-{t[1]:02d}-{t[2]:02d}T{t[3]:02d}:{t[4]:02d}:{t[5]:02d}{t[6]}"),
)

_cents = st.integers(1, 10**9)
schemathesis.openapi.format(
    "money",
    st.one_of(
        _cents.map(lambda c: f"{c // 100}.{c % 100:02d}"),
        _cents.map(_reais),
        _cents.map(lambda c: "R$ " + _reais(c)),
    ),
)

_STATES = "AC AL AP AM BA CE DF ES GO MA MT MS MG PA PB PR PE PI RJ RN RS RO RR SC SP SE TO".split()
schemathesis.openapi.format("br-state", st.sampled_from(_STATES + [s.lower() for s in _STATES]))

_eight = st.integers(1_000_000, 99_999_999).map(lambda n: f"{n:08d}")
schemathesis.openapi.format("cep", st.one_of(_eight, _eight.map(lambda d: f"{d[:5]}-{d[5:]}")))

_mobile = st.tuples(st.sampled_from([11, 21, 31, 41, 51, 61, 71, 81, 91]), st.integers(0, 99_999_999))
schemathesis.openapi.format(
    "br-phone",
    st.one_of(
        _mobile.map(lambda t: f"({t[0]}) 9{t[1] // 10000:04d}-{t[1] % 10000:04d}"),
        _mobile.map(lambda t: f"+55{t[0]}9{t[1]:08d}"),
    ),
)

schemathesis.openapi.format(
    "email-address",
    st.tuples(st.from_regex(r"[a-z][a-z0-9._]{0,20}[a-z0-9]", fullmatch=True), st.sampled_from(["example.com", "provedor.net.br"]))
    .filter(lambda t: ".." not in t[0])
    .map(lambda t: f"{t[0]}@{t[1]}"),
)
