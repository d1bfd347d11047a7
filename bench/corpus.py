"""Generate realistic conflict-news articles, so scale can be tested without downloads.

Articles are written from templates over several conflicts (Syria, Ukraine, Sudan, Myanmar, the Sahel,
eastern DR Congo, Yemen, Gaza and Lebanon, Somalia), each with its own actors (armed groups, governments,
armies, leaders, foreign backers), places (cities, towns, villages, provinces) and sources. Every article
mixes the relation types the extractor knows (captured, recaptured, backs, eliminated, attacked,
invaded, leads, memberOf, alliedWith, opposes) with attributions ("the group said", "denied by"),
dates written several ways, negations and background sentences, so both extraction and the graph see
realistic variety. Article ``i`` depends only on (seed, i): any N gives the same first articles.

    python -m bench.corpus 1000 --out /tmp/corpus --format jsonl
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CONFLICTS", "Article", "article", "articles", "write_corpus"]


@dataclass(frozen=True)
class Conflict:
    name: str
    country: str
    groups: tuple[str, ...]  # non-state armed groups
    government: str  # the government / its forces, as a phrase
    army: str
    leaders: tuple[tuple[str, str], ...]  # (person, group or government they lead)
    backers: tuple[str, ...]  # foreign states
    cities: tuple[str, ...]
    towns: tuple[str, ...]
    provinces: tuple[str, ...]
    monitors: tuple[str, ...]
    media: tuple[str, ...]


CONFLICTS: tuple[Conflict, ...] = (
    Conflict("Syria", "Syria",
             ("Hayat Tahrir al-Sham", "Ahrar al-Sham", "the Syrian National Army", "the Syrian Democratic Forces",
              "the Islamic State group", "Jaish al-Izza"),
             "the Syrian government", "the Syrian Arab Army",
             (("Abu Mohammed al-Jolani", "Hayat Tahrir al-Sham"), ("Bashar al-Assad", "the Syrian government"),
              ("Mazloum Abdi", "the Syrian Democratic Forces")),
             ("Russia", "Turkey", "Iran", "the United States"),
             ("Aleppo", "Hama", "Homs", "Idlib", "Deir ez-Zor", "Raqqa"),
             ("Khanaser", "Maardis", "Taybat al-Imam", "Halfaya", "Soran", "Saraqeb", "Maarat al-Numan",
              "Kafr Nabl", "Tal Rifaat", "Manbij"),
             ("Idlib province", "Hama province", "Aleppo province"),
             ("the Syrian Observatory for Human Rights",), ("SANA", "Syrian state media")),
    Conflict("Ukraine", "Ukraine",
             ("the Wagner Group", "the Azov Brigade", "the Russian Volunteer Corps"),
             "the Ukrainian government", "the Ukrainian army",
             (("Volodymyr Zelensky", "the Ukrainian government"), ("Vladimir Putin", "Russia"),
              ("Oleksandr Syrskyi", "the Ukrainian army")),
             ("the United States", "Germany", "the United Kingdom", "North Korea", "Iran"),
             ("Kharkiv", "Kherson", "Zaporizhzhia", "Dnipro", "Donetsk", "Odesa"),
             ("Avdiivka", "Bakhmut", "Krynky", "Vuhledar", "Pokrovsk", "Kupiansk", "Robotyne", "Chasiv Yar",
              "Toretsk", "Marinka"),
             ("Donetsk region", "Kursk region", "Luhansk region"),
             ("the Institute for the Study of War",), ("TASS", "Ukrinform")),
    Conflict("Sudan", "Sudan",
             ("the Rapid Support Forces", "the Sudan People's Liberation Movement-North", "the Joint Forces"),
             "the Sudanese government", "the Sudanese Armed Forces",
             (("Mohamed Hamdan Dagalo", "the Rapid Support Forces"),
              ("Abdel Fattah al-Burhan", "the Sudanese Armed Forces")),
             ("the United Arab Emirates", "Egypt", "Iran", "Russia"),
             ("Khartoum", "Omdurman", "El Fasher", "Wad Madani", "El Geneina", "Nyala"),
             ("Um Kadada", "Sinja", "Jebel Moya", "Babanusa", "Mellit", "Tawila", "Al-Gezira Aba", "Kutum"),
             ("North Darfur", "Gezira state", "Sennar state"),
             ("the Darfur Bar Association",), ("Sudan Tribune", "Radio Dabanga")),
    Conflict("Myanmar", "Myanmar",
             ("the Arakan Army", "the Myanmar National Democratic Alliance Army", "the Ta'ang National Liberation Army",
              "the Kachin Independence Army", "the People's Defence Force"),
             "the military junta", "the Myanmar military",
             (("Min Aung Hlaing", "the military junta"), ("Twan Mrat Naing", "the Arakan Army")),
             ("China", "Russia", "India"),
             ("Lashio", "Mandalay", "Sittwe", "Myitkyina", "Laukkaing"),
             ("Paletwa", "Hsenwi", "Kyaukme", "Maungdaw", "Buthidaung", "Nawnghkio", "Kutkai", "Thandwe"),
             ("Shan state", "Rakhine state", "Chin state"),
             ("the Assistance Association for Political Prisoners",), ("The Irrawaddy", "Myanmar Now")),
    Conflict("Sahel", "Mali",
             ("Jama'at Nusrat al-Islam wal-Muslimin", "the Islamic State Sahel Province", "the Wagner Group",
              "the Azawad Liberation Front"),
             "the Malian junta", "the Malian army",
             (("Assimi Goita", "the Malian junta"), ("Iyad Ag Ghaly", "Jama'at Nusrat al-Islam wal-Muslimin"),
              ("Ibrahim Traore", "the Burkinabe junta")),
             ("Russia", "Turkey", "France"),
             ("Timbuktu", "Gao", "Kidal", "Djibo", "Ouagadougou", "Menaka"),
             ("Boulkessi", "Tinzaouaten", "Barsalogho", "Anefis", "Ber", "Nioro du Sahel", "Mansila", "Solle"),
             ("Mopti region", "Sahel region", "Kidal region"),
             ("Human Rights Watch",), ("ORTM", "Le Faso")),
    Conflict("DR Congo", "the Democratic Republic of the Congo",
             ("the M23 rebels", "the Allied Democratic Forces", "the Wazalendo militias", "CODECO"),
             "the Congolese government", "the Congolese army",
             (("Corneille Nangaa", "the M23 rebels"), ("Felix Tshisekedi", "the Congolese government"),
              ("Sultani Makenga", "the M23 rebels")),
             ("Rwanda", "Burundi", "Uganda"),
             ("Goma", "Bukavu", "Beni", "Butembo", "Uvira"),
             ("Rubaya", "Sake", "Minova", "Masisi", "Rutshuru", "Kitshanga", "Nyiragongo", "Lubero"),
             ("North Kivu", "South Kivu", "Ituri province"),
             ("the Kivu Security Tracker",), ("Radio Okapi", "Actualite.cd")),
    Conflict("Yemen", "Yemen",
             ("the Houthi movement", "al-Qaeda in the Arabian Peninsula", "the Southern Transitional Council",
              "the Giants Brigades"),
             "the Yemeni government", "the Yemeni army",
             (("Abdul-Malik al-Houthi", "the Houthi movement"),
              ("Aidarous al-Zubaidi", "the Southern Transitional Council")),
             ("Iran", "Saudi Arabia", "the United Arab Emirates", "the United States"),
             ("Sanaa", "Aden", "Hodeidah", "Marib", "Taiz", "Saada"),
             ("Harib", "Al-Jawf", "Mukalla", "Mocha", "Al-Bayda", "Hajjah", "Midi", "Shabwa"),
             ("Marib governorate", "Hodeidah governorate", "Saada governorate"),
             ("the Yemen Data Project",), ("Saba", "Al-Masirah")),
    Conflict("Gaza and Lebanon", "Israel",
             ("Hamas", "Hezbollah", "Palestinian Islamic Jihad", "the Al-Qassam Brigades"),
             "the Israeli government", "the Israel Defense Forces",
             (("Yahya Sinwar", "Hamas"), ("Hassan Nasrallah", "Hezbollah"),
              ("Benjamin Netanyahu", "the Israeli government"),
              ("Fuad Shukr", "Hezbollah")),
             ("Iran", "the United States", "Qatar"),
             ("Gaza City", "Khan Younis", "Rafah", "Beirut", "Tyre", "Nabatieh"),
             ("Jabalia", "Beit Hanoun", "Deir al-Balah", "Khiam", "Bint Jbeil", "Aita al-Shaab", "Nuseirat",
              "Beit Lahia"),
             ("the northern Gaza Strip", "southern Lebanon", "the Bekaa Valley"),
             ("the UN humanitarian office",), ("Al Jazeera", "Al-Manar")),
    Conflict("Somalia", "Somalia",
             ("al-Shabaab", "the Islamic State in Somalia", "Ma'awisley militias"),
             "the Somali government", "the Somali National Army",
             (("Ahmed Diriye", "al-Shabaab"), ("Hassan Sheikh Mohamud", "the Somali government")),
             ("Turkey", "the United States", "Ethiopia", "the United Arab Emirates"),
             ("Mogadishu", "Kismayo", "Baidoa", "Beledweyne", "Bosaso"),
             ("El Baraf", "Adan Yabaal", "Harardhere", "Galcad", "Moqokori", "Bulo Burte", "Mahas", "Jilib"),
             ("Hiran region", "Middle Shabelle", "Lower Juba"),
             ("the African Union mission",), ("Somali National News Agency", "Garowe Online")),
)

SAY = ("said", "said in a statement", "announced", "claimed", "said on its Telegram channel", "told reporters")
DENY = ("denied", "rejected", "dismissed")
CONFIRM = ("confirmed", "reported")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
BACKGROUND = (
    "Thousands of civilians have fled the fighting, aid agencies said.",
    "The war has displaced millions of people since it began.",
    "Humanitarian groups warned of food and fuel shortages in the area.",
    "Electricity and internet connections were cut in several districts.",
    "The United Nations called for an immediate ceasefire and access for aid convoys.",
    "Independent verification of the claims was not possible.",
    "Hospitals in the region are overwhelmed, doctors said.",
    "Talks mediated by regional powers have stalled for months.",
    "Satellite images showed damaged buildings along the main road.",
    "Residents described heavy artillery fire through the night.",
)


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    date: str
    url: str
    source: str
    conflict: str
    text: str

    def as_json(self) -> dict[str, str]:
        return {"id": self.id, "title": self.title, "date": self.date, "url": self.url, "source": self.source,
                "text": self.text}


def _date_phrase(rng: random.Random, day: dt.date, published: dt.date) -> str:
    kind = rng.randrange(5)
    if kind == 0 and (published - day).days < 7:
        return f"on {WEEKDAYS[day.weekday()]}"
    if kind == 1:
        return f"on {day.day} {day:%B} {day.year}"
    if kind == 2:
        return f"on {day:%B} {day.day}, {day.year}"
    if kind == 3:
        return f"in {day:%B} {day.year}"
    return "last week" if (published - day).days < 10 else f"in {day.year}"


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def article(i: int, seed: int = 0) -> Article:
    """The ``i``-th article of the corpus for ``seed`` (independent of how many are generated)."""
    rng = random.Random(f"{seed}:{i}")
    c = rng.choice(CONFLICTS)
    published = dt.date(2023, 1, 1) + dt.timedelta(days=rng.randrange(730))

    def when() -> str:
        return _date_phrase(rng, published - dt.timedelta(days=rng.randrange(0, 20)), published)

    actors = [*c.groups, c.army, c.government]
    place = lambda: rng.choice(c.towns + c.cities)  # noqa: E731 - a tiny local chooser
    group = lambda: rng.choice(c.groups)  # noqa: E731
    pair = lambda: rng.sample(c.groups, 2)  # noqa: E731 - two different groups
    sentences: list[str] = []
    lead_group, lead_place = group(), place()
    title = rng.choice((f"{_cap(lead_group)} captures {lead_place}", f"Fighting rages near {lead_place}",
                        f"{_cap(c.army)} retakes {lead_place}", f"Strikes hit {lead_place} as {c.name} war escalates"))
    templates = [
        lambda: f"{_cap(group())} captured the town of {place()} {when()}, the group {rng.choice(SAY)}.",
        lambda: f"{_cap(group())} seized {place()} and several nearby villages {when()}.",
        lambda: (f"{_cap(group())} {rng.choice(SAY)} it had taken control of {place()}, a claim "
                 f"{rng.choice(DENY)} by {rng.choice(c.media)}."),
        lambda: f"{_cap(c.army)} recaptured {place()} {when()}, according to {rng.choice(c.monitors)}.",
        lambda: f"Government forces retook the village of {rng.choice(c.towns)} days after losing it.",
        lambda: f"{rng.choice(c.backers)} backs {group()}, {rng.choice(c.monitors)} {rng.choice(CONFIRM)}.",
        lambda: f"{rng.choice(c.backers)} has sent weapons and drones to {rng.choice(actors)}.",
        lambda: f"{rng.choice(c.backers)} supports {c.government} with money and advisers.",
        lambda: f"{_cap(group())} {rng.choice(SAY)} it killed about {rng.randrange(5, 90)} soldiers of {c.army}.",
        lambda: f"A drone strike killed a senior commander of {group()} near {place()} {when()}.",
        lambda: f"{_cap(c.army)} launched airstrikes against {group()} positions in {rng.choice(c.provinces)}.",
        lambda: f"{_cap(group())} attacked {place()} with rockets {when()}, killing {rng.randrange(2, 40)} civilians.",
        lambda: f"{_cap(group())} shelled the outskirts of {rng.choice(c.cities)} overnight.",
        lambda: f"{_cap(rng.choice(c.backers))} invaded {c.country} {when()}, officials said.",
        lambda: "{} leads {}.".format(*rng.choice(c.leaders)),
        lambda: "{1}, led by {0}, rejected the proposal.".format(*rng.choice(c.leaders)),
        lambda: "{}, affiliated with {}, joined the offensive.".format(*map(_cap, pair())),
        lambda: "{} is allied with {} against {}.".format(*map(_cap, pair()), c.government),
        lambda: f"{_cap(group())} opposes {c.government} and {rng.choice(c.backers)}.",
        lambda: f"{_cap(group())} did not capture {place()}, despite earlier reports.",
        lambda: f"{_cap(group())} threatened to attack {rng.choice(c.cities)} if talks fail.",
        lambda: f"{_cap(c.army)} denied that {group()} had overrun its base near {place()}.",
    ]
    lead = f"{_cap(lead_group)} captured {lead_place} {when()}, {rng.choice(c.monitors)} said."
    sentences.append(lead)
    for _ in range(rng.randrange(8, 18)):
        sentences.append(rng.choice(templates)())
        if rng.random() < 0.35:
            sentences.append(rng.choice(BACKGROUND))
    paragraphs, k = [], 0
    while k < len(sentences):
        n = rng.randrange(1, 4)
        paragraphs.append(" ".join(sentences[k:k + n]))
        k += n
    source = rng.choice(("Example Wire", "Conflict Monitor", "Frontline Daily", "Global News Desk"))
    slug = "-".join(title.lower().replace("'", "").split())[:60]
    text = f"{title}\n\n" + "\n\n".join(paragraphs) + "\n"
    return Article(id=f"gen-{seed}-{i:06d}", title=title, date=published.isoformat(),
                   url=f"https://{source.lower().replace(' ', '')}.example/{published:%Y/%m}/{slug}-{i}",
                   source=source, conflict=c.name, text=text)


def articles(n: int, seed: int = 0) -> Iterator[Article]:
    for i in range(n):
        yield article(i, seed)


def write_corpus(out: str | Path, n: int, seed: int = 0, format: str = "txt") -> Path:
    """Write ``n`` articles: a folder of .txt files (``format="txt"``) or one .jsonl file. Returns the path."""
    out = Path(out)
    if format == "jsonl":
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.suffix != ".jsonl":
            out = out / "corpus.jsonl"
            out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", encoding="utf-8") as f:
            for a in articles(n, seed):
                f.write(json.dumps(a.as_json(), ensure_ascii=False) + "\n")
        return out
    out.mkdir(parents=True, exist_ok=True)
    for a in articles(n, seed):
        (out / f"{a.id}.txt").write_text(a.text, encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.corpus", description=__doc__.split("\n\n")[0])
    p.add_argument("n", type=int)
    p.add_argument("--out", required=True, help="folder (txt) or .jsonl file")
    p.add_argument("--format", choices=["txt", "jsonl"], default="txt")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    print(write_corpus(args.out, args.n, args.seed, args.format))


if __name__ == "__main__":
    main()
