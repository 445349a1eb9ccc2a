"""The query mixes every system is driven with.

A request is a template: its path and body may hold placeholders (`⟨n⟩` a number unique to the
request, `⟨lim⟩` a LIMIT above any answer's size, `⟨d1⟩`/`⟨d2⟩` a pair of ordered days,
`⟨amt⟩` a sum of euro, `⟨c⟩` a commitment number, `⟨w⟩` a search word), filled in per request by
the load generator from the request's number. A request without placeholders is sent as is.

- `repeated`: the canned queries' SPARQL (queries/*.rq, their example parameters bound as a
  VALUES block, as an external endpoint gets them) and a set of raw queries, each text sent
  again and again;
- `unique`: the same queries, each request's text never seen before: date and amount
  parameters vary, and a LIMIT larger than any answer carries the request's number;
- `api-repeated` / `api-unique` (our service only, when it has `GET /queries`): the same canned
  queries by name with their example parameters, and the date/amount ones with varied values.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, quote_plus

import yaml

from api.sparql_guard import bind_values

PROJECT_ROOT = Path(__file__).resolve().parents[1]
QUERIES_DIR = PROJECT_ROOT / "queries"
EMK = "https://w3id.org/eu-migration-kg/ontology#"
ID = "https://w3id.org/eu-migration-kg/id/"
XSD = "http://www.w3.org/2001/XMLSchema#"
RESULTS_JSON = "application/sparql-results+json"
N_TRIPLES = "application/n-triples"
FORM = "application/x-www-form-urlencoded"

PLACEHOLDER = re.compile(r"⟨(\w+)⟩")
DAYS = [
    (dt.date(2022, 1, 1) + dt.timedelta(days=i)).isoformat()
    for i in range((dt.date(2025, 1, 1) - dt.date(2022, 1, 1)).days)
]
WORDS = ["frontex", "serbia", "return", "visa", "fund", "border", "asylum", "libya", "europol"]
_TRAILING_LIMIT = re.compile(r"\b(LIMIT|OFFSET)\s+\d+\s*$", re.IGNORECASE)


def placeholder_value(name: str, n: int) -> str:
    """The value of a placeholder for request number n (bench/driver.py's Lua does the same)."""
    if name == "n":
        return str(n)
    if name == "lim":
        return str(100000 + n)
    if name == "c":
        return str(n % 15 + 1)
    if name == "amt":
        return str((n % 1000) * 1_000_000 + n // 1000)
    if name == "w":
        return WORDS[n % len(WORDS)]
    if name == "d1":
        return DAYS[n % len(DAYS)]
    if name == "d2":
        first = n % len(DAYS)
        return DAYS[first + (n // len(DAYS)) % (len(DAYS) - first)]
    raise KeyError(f"unknown placeholder {name}")


def render(template: str, n: int) -> str:
    return PLACEHOLDER.sub(lambda m: placeholder_value(m.group(1), n), template)


@dataclass(frozen=True)
class Request:
    """One request template: `path` and `body` are already URL-encoded around placeholders."""

    label: str
    method: str
    path: str
    body: str | None
    accept: str
    content_type: str | None = None

    @property
    def static(self) -> bool:
        return not PLACEHOLDER.search(self.path + (self.body or ""))

    def headers(self) -> dict[str, str]:
        headers = {"Accept": self.accept}
        if self.content_type:
            headers["Content-Type"] = self.content_type
        return headers

    def fixed(self, n: int) -> Request:
        """This request with its placeholders filled for number n (a repeated request)."""
        body = render(self.body, n) if self.body is not None else None
        return Request(
            self.label, self.method, render(self.path, n), body, self.accept, self.content_type
        )


def _encode(template: str, quote_function: object) -> str:
    """URL-encode the text between placeholders, leaving the placeholders as they are."""
    assert callable(quote_function)
    parts = PLACEHOLDER.split(template)
    out = []
    for index, part in enumerate(parts):
        out.append(quote_function(part, safe="") if index % 2 == 0 else f"⟨{part}⟩")
    return "".join(out)


def sparql_request(label: str, sparql_path: str, query: str, accept: str = RESULTS_JSON) -> Request:
    """A SPARQL Protocol POST (form-encoded, as every system here takes it)."""
    return Request(label, "POST", sparql_path, "query=" + _encode(query, quote_plus), accept, FORM)


def api_request(name: str, params: dict[str, str]) -> Request:
    query = "&".join(f"{quote(k)}={_encode(v, quote)}" for k, v in params.items())
    path = f"/queries/{name}" + (f"?{query}" if query else "")
    return Request(f"api:{name}", "GET", path, None, "application/json")


# ---------------------------------------------------------------- canned queries


@dataclass(frozen=True)
class Canned:
    name: str
    sparql: str
    parameters: dict[str, dict[str, object]]

    def examples(self) -> dict[str, str]:
        return {
            key: str(spec["example"])
            for key, spec in self.parameters.items()
            if spec.get("example") is not None
        }


def load_canned(directory: Path = QUERIES_DIR) -> list[Canned]:
    """queries/*.rq: the `#+` YAML header and the SPARQL text after it."""
    found = []
    for path in sorted(directory.glob("*.rq")):
        header, body = [], []
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("#+"):
                header.append(line[3:] if line.startswith("#+ ") else line[2:])
            else:
                body.append(line)
        meta = yaml.safe_load("\n".join(header)) or {}
        parameters = meta.get("parameters") or {}
        found.append(Canned(path.stem, "\n".join(body), dict(parameters)))
    return found


def sparql_term(kind: str, value: str) -> str:
    """A parameter value as a SPARQL term, by the parameter's declared type."""
    if kind == "iri":
        return f"<{value}>"
    if kind == "date":
        return f'"{value}"^^<{XSD}date>'
    if kind == "decimal":
        return f'"{value}"^^<{XSD}decimal>'
    if kind == "status":
        return f"<{EMK}{value}>"
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'  # string, commitment (skos:notation is a plain string)


#: how the unique mix varies a parameter of a given type
VARIED = {"date": "⟨d1⟩", "decimal": "⟨amt⟩"}


def canned_sparql(canned: Canned, unique: bool) -> str:
    """The canned query with its parameters bound in VALUES; for `unique`, varied dates and
    amounts (a `to` date gets the later day of the pair) and a LIMIT carrying the number."""
    values = canned.examples()
    bindings: dict[str, str] = {}
    for key, value in values.items():
        kind = str(canned.parameters[key].get("type", "string"))
        if unique and kind in VARIED:
            value = "⟨d2⟩" if key == "to" and kind == "date" else VARIED[kind]
        bindings["_" + key] = sparql_term(kind, value)
    text = bind_values(canned.sparql, bindings) if bindings else canned.sparql
    if unique and not _TRAILING_LIMIT.search(text.rstrip()):
        text = text.rstrip() + "\nLIMIT ⟨lim⟩\n"
    return text


# ---------------------------------------------------------------- raw queries

PREFIXES = f"""PREFIX emk: <{EMK}>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX schema: <http://schema.org/>
PREFIX xsd: <{XSD}>
"""

#: name -> (template, Accept); the repeated mix fills the placeholders once
RAW: dict[str, tuple[str, str]] = {
    "raw:actions-by-status": (
        """SELECT ?n ?status (COUNT(?action) AS ?actions) WHERE {
  ?c a emk:Commitment ; skos:notation ?n .
  ?action emk:implements ?c ; emk:status ?status .
} GROUP BY ?n ?status ORDER BY xsd:integer(?n) LIMIT ⟨lim⟩""",
        RESULTS_JSON,
    ),
    "raw:label-search": (
        """SELECT ?s ?label WHERE {
  ?s rdfs:label|skos:altLabel ?label .
  FILTER(CONTAINS(LCASE(STR(?label)), "⟨w⟩"))
} LIMIT ⟨lim⟩""",
        RESULTS_JSON,
    ),
    "raw:funding-above": (
        """SELECT ?f ?amount ?words WHERE {
  ?f emk:amountEUR ?amount ; prov:wasDerivedFrom/oa:exact ?words .
  FILTER(?amount > ⟨amt⟩)
} ORDER BY DESC(?amount) LIMIT ⟨lim⟩""",
        RESULTS_JSON,
    ),
    "raw:events-between": (
        """SELECT ?e ?label ?start WHERE {
  ?e a emk:Event ; rdfs:label ?label ; schema:startDate ?start .
  FILTER(?start >= "⟨d1⟩"^^xsd:date && ?start <= "⟨d2⟩"^^xsd:date)
} ORDER BY ?start LIMIT ⟨lim⟩""",
        RESULTS_JSON,
    ),
    "raw:types": (
        "SELECT ?type (COUNT(?s) AS ?n) WHERE { ?s a ?type } GROUP BY ?type LIMIT ⟨lim⟩",
        RESULTS_JSON,
    ),
    "raw:frontex-passages": (
        f"""SELECT ?x ?exact WHERE {{
  ?x emk:involves <{ID}agency/frontex> ; prov:wasDerivedFrom/oa:exact ?exact .
}} LIMIT ⟨lim⟩""",
        RESULTS_JSON,
    ),
    "raw:ask-commitment-frontex": (
        f"""ASK {{
  ?a emk:implements <{ID}commitment/⟨c⟩> ; emk:involves <{ID}agency/frontex> .
  FILTER(⟨n⟩ >= 0)
}}""",
        RESULTS_JSON,
    ),
    "raw:construct-commitment": (
        """CONSTRUCT { ?c ?p ?o } WHERE { ?c skos:notation "⟨c⟩" ; ?p ?o } LIMIT ⟨lim⟩""",
        N_TRIPLES,
    ),
}

#: the number the repeated mix fills placeholders with
REPEATED_N = 7


def sparql_mix(sparql_path: str, unique: bool, canned: list[Canned] | None = None) -> list[Request]:
    """Canned SPARQL and raw queries for a SPARQL Protocol endpoint at `sparql_path`."""
    requests = []
    for query in canned if canned is not None else load_canned():
        requests.append(
            sparql_request(f"canned:{query.name}", sparql_path, canned_sparql(query, unique))
        )
    for label, (template, accept) in RAW.items():
        requests.append(sparql_request(label, sparql_path, PREFIXES + template, accept))
    if unique:
        return requests
    return [request.fixed(REPEATED_N) for request in requests]


def api_mix(unique: bool, canned: list[Canned] | None = None) -> list[Request]:
    """`GET /queries/{name}` with example parameters; for `unique`, only the queries whose
    parameters can vary without end (dates and amounts)."""
    requests = []
    for query in canned if canned is not None else load_canned():
        params = query.examples()
        kinds = {key: str(spec.get("type", "string")) for key, spec in query.parameters.items()}
        if unique:
            if not any(kinds.get(key) in VARIED for key in params):
                continue
            params = {
                key: ("⟨d2⟩" if key == "to" else VARIED[kinds[key]])
                if kinds[key] in VARIED
                else value
                for key, value in params.items()
            }
        requests.append(api_request(query.name, params))
    return requests
