"""Search that forgives: accents, case and the way a phone number is typed.

The embedded PostgreSQL has no contrib extension (no ``unaccent``, no ``pg_trgm``), so the
folding is two SQL functions of our own, created in the public schema by portal migration
0002 and reached from every collectivité's schema (its search path ends with public):

- ``public.ef_fold(text)``: lower case without accents, « Œ » as « oe » and « Æ » as « ae »:
  « LEFÈVRE » and « lefevre » both give « lefevre », « Noé » gives « noe »;
- ``public.ef_phone(text)``: the digits of a French number, « +33 6 12… » and
  « 0033 6 12… » written « 06 12… »: every way of typing it gives « 0612… ».

Two lookups use them, ``folded`` (contains, folded on both sides) and ``phone`` (contains,
as digits), and ``ForgivingSearchMixin`` puts them behind every staff list's search box.
Why functions and a lookup rather than a normalised column per model: every list searches
columns of several models (a child's name, its foyer's, the responsables' phones); one
function per rule keeps the rule in one place and needs no copy kept in step on each row.
An infix search (« contains ») cannot use a B-tree index anyway, and a collectivité's
lists are thousands of rows, not millions: among 10 000 children a search takes about
0,1 s (measured on the development machine, under load).
"""

from __future__ import annotations

import re
from functools import reduce
from operator import or_

from django.db.models import CharField, Lookup, Q, TextField

# Lower and upper case, as PostgreSQL's lower() only folds ASCII under some locales.
ACCENTED = "àâäáãåçéèêëíìîïñóòôöõøúùûüýÿÀÂÄÁÃÅÇÉÈÊËÍÌÎÏÑÓÒÔÖÕØÚÙÛÜÝŸ"
PLAIN = "aaaaaaceeeeiiiinoooooouuuuyyaaaaaaceeeeiiiinoooooouuuuyy"
FOLD_SQL = f"""
CREATE OR REPLACE FUNCTION public.ef_fold(value text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT lower(translate(
        replace(replace(replace(replace(value, 'œ', 'oe'), 'Œ', 'oe'), 'æ', 'ae'), 'Æ', 'ae'),
        '{ACCENTED}', '{PLAIN}'
    ))
$$;
"""
PHONE_SQL = r"""
CREATE OR REPLACE FUNCTION public.ef_phone(value text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE
        WHEN digits LIKE '0033%' THEN '0' || substr(digits, 5)
        WHEN digits LIKE '33%' AND length(digits) = 11 THEN '0' || substr(digits, 3)
        ELSE digits
    END
    FROM (SELECT regexp_replace(value, '\D', '', 'g') AS digits) AS cleaned
$$;
"""
DROP_SQL = """
DROP FUNCTION IF EXISTS public.ef_fold(text);
DROP FUNCTION IF EXISTS public.ef_phone(text);
"""

# A search term typed as a phone number: digits and their separators, six digits at least.
PHONE_TERM = re.compile(r"^\+?[\d\s.()/-]+$")
PHONE_MIN_DIGITS = 6


class _Contains(Lookup):
    """``function(column) LIKE '%' || function(term) || '%'``, the term's wildcards escaped."""

    function = ""

    def get_db_prep_lookup(self, value, connection):
        return ("%s", [connection.ops.prep_for_like_query(value)])

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        sql = f"{self.function}({lhs}) LIKE '%%' || {self.function}({rhs}) || '%%'"
        return sql, [*lhs_params, *rhs_params]


@CharField.register_lookup
@TextField.register_lookup
class Folded(_Contains):
    lookup_name = "folded"
    function = "public.ef_fold"


@CharField.register_lookup
class Phone(_Contains):
    lookup_name = "phone"
    function = "public.ef_phone"


def looks_like_phone(term: str) -> bool:
    """Tell whether a search term was typed as a phone number (« 06 12 34 56 78 »)."""
    term = term.strip()
    return bool(PHONE_TERM.match(term)) and sum(c.isdigit() for c in term) >= PHONE_MIN_DIGITS


class ForgivingSearchMixin:
    """A ModelAdmin's search without accents or case, phones as digits.

    ``search_fields`` stay plain field paths: each without a lookup of its own is searched
    with ``folded``. A term typed as a phone number is also looked for, whole, in
    ``phone_search_fields``.
    """

    phone_search_fields: tuple[str, ...] = ()

    def get_search_fields(self, request):
        fields = super().get_search_fields(request)
        return [field if _has_lookup(field) else f"{field}__folded" for field in fields]

    def get_search_results(self, request, queryset, search_term):
        found, duplicates = super().get_search_results(request, queryset, search_term)
        if self.phone_search_fields and looks_like_phone(search_term):
            phones = reduce(
                or_, (Q(**{f"{field}__phone": search_term}) for field in self.phone_search_fields)
            )
            return found | queryset.filter(phones), True
        return found, duplicates


def _has_lookup(field: str) -> bool:
    return field.startswith(("^", "=", "@")) or field.endswith(
        ("__folded", "__phone", "__exact", "__iexact", "__icontains", "__istartswith")
    )
