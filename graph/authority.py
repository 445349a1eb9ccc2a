"""Names in the EU's languages, from the EU Publications Office authority tables.

The countries and bodies of the gazetteer link to the authority tables (`skos:exactMatch` to
`…/authority/country/SRB`, `…/authority/corporate-body/FRONTEX`). Those tables give every
entry's name in the EU's languages ("Serbien"@de, "Serbie"@fr, "Srbija"@hr). The project keeps
the entries it links to in `graph/data/eu-authority-labels.ttl`: the tables' own `skos:prefLabel`
and `skos:altLabel` triples of those entries, unchanged, in the 24 official EU languages, with
the source and licence in its header. `python -m graph.authority FOLDER` writes that file again
from a copy of the tables (`../shared/vendor/eu-authority-tables/`).

At build time `add_authority_labels` gives each linked node those names as `skos:altLabel`
with their language tag ("Serbien"@da, "Serbien"@de, "Serbien"@sv), leaving out those that are
already its English names (by `name_key`: the Italian "Serbia" is the English label).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS, SKOS

from graph.gazetteer import DATA, load_gazetteer, name_key
from graph.namespaces import EMK

LABELS_FILE = DATA / "eu-authority-labels.ttl"
AUTHORITY = "http://publications.europa.eu/resource/authority/"
TABLES = {"country/": "countries-skos.rdf", "corporate-body/": "corporatebodies-skos.rdf"}
#: the 24 official languages of the EU
EU_LANGUAGES = [
    "bg",
    "cs",
    "da",
    "de",
    "el",
    "en",
    "es",
    "et",
    "fi",
    "fr",
    "ga",
    "hr",
    "hu",
    "it",
    "lt",
    "lv",
    "mt",
    "nl",
    "pl",
    "pt",
    "ro",
    "sk",
    "sl",
    "sv",
]
SOURCE_NOTE = """\
# Names in the EU's official languages of the authority-table entries the gazetteer links to
# (graph/data/gazetteer.yaml, skos:exactMatch): each entry's skos:prefLabel and skos:altLabel
# triples, copied unchanged, in the 24 official EU languages only.
#
# Source: EU Publications Office, Countries Authority Table and Corporate Bodies Authority
# Table, SKOS/RDF (copy of 2016: bodies created since, such as the EUAA, are missing), taken
# from GitHub eea/OpenDataPortal, vocabularies/po-countries-skos.rdf and
# po-corporatebodies-skos.rdf, commit 1fe5a5e (as kept in ../shared/vendor/eu-authority-tables/).
# Licence: reuse authorised under the Commission's reuse policy (Decision 2011/833/EU), with
# attribution to the Publications Office of the European Union.
#
# Written by `python -m graph.authority ../shared/vendor/eu-authority-tables`; do not edit.
"""


def linked_entries() -> list[str]:
    """The authority-table IRIs the gazetteer links to, sorted."""
    return sorted(
        {
            match.iri
            for entity in load_gazetteer()
            for match in entity.exact_match
            if match.iri.startswith(AUTHORITY)
        }
    )


def extract(tables: Path, entries: Iterable[str]) -> str:
    """The labels of `entries` from the tables in the folder `tables`, as Turtle."""
    wanted = set(entries)
    found = Graph()
    found.bind("skos", SKOS)
    for prefix, name in TABLES.items():
        if not any(iri.startswith(AUTHORITY + prefix) for iri in wanted):
            continue
        table = Graph().parse(tables / name, format="xml")
        for predicate in (SKOS.prefLabel, SKOS.altLabel):
            for subject, _, label in table.triples((None, predicate, None)):
                if (
                    str(subject) in wanted
                    and isinstance(label, Literal)
                    and label.language in EU_LANGUAGES
                ):
                    found.add((subject, predicate, label))
    lines = sorted(
        line
        for line in found.serialize(format="nt", encoding="utf-8").decode().splitlines()
        if line
    )
    return SOURCE_NOTE + "\n" + "\n".join(lines) + "\n"


def load_labels(path: Path = LABELS_FILE) -> Graph:
    return Graph().parse(path, format="turtle")


def add_authority_labels(graph: Graph, labels: Graph | None = None) -> int:
    """Give every node linked to an authority entry that entry's names as language-tagged
    `skos:altLabel`s, except the names it already has; returns how many were added."""
    labels = labels if labels is not None else load_labels()
    added = 0
    for node, _, entry in list(graph.triples((None, SKOS.exactMatch, None))):
        if not str(entry).startswith(AUTHORITY) or not isinstance(node, URIRef):
            continue
        known = {
            name_key(str(name))
            for predicate in (RDFS.label, SKOS.altLabel, EMK.adjective)
            for name in graph.objects(node, predicate)
            if not isinstance(name, Literal) or name.language in (None, "en")
        }
        for predicate in (SKOS.prefLabel, SKOS.altLabel):
            for name in labels.objects(entry, predicate):
                if not isinstance(name, Literal) or name.language is None:
                    continue
                if name_key(str(name)) in known:
                    continue  # the Italian "Serbia" is the English label
                tagged = Literal(str(name), lang=name.language)
                if (node, SKOS.altLabel, tagged) not in graph:
                    graph.add((node, SKOS.altLabel, tagged))
                    added += 1
    return added


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="copy the EU names of linked entries")
    parser.add_argument("tables", type=Path, help="folder holding the authority tables (SKOS)")
    parser.add_argument("--out", type=Path, default=LABELS_FILE)
    args = parser.parse_args(argv)
    args.out.write_text(extract(args.tables, linked_entries()), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
