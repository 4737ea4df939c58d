"""Names of places that data stores as codes: ISO 3166-1 alpha-2 country codes and US state
codes ("MX", "us-ca", "NY"). A model that keeps a country or a state as a code rarely lists
what people call it, so "Mexican customers" or "orders from California" had nothing to be. A
value of a country or state dimension that is exactly one of these codes is also named by the
place's English name (and, for the commonest countries, its adjective), as if the data team had
listed it. This is world knowledge, the same for every model, not a synonym for any question.
"""

from __future__ import annotations

import re

# code: name[, other names] — ISO 3166-1 alpha-2, English short names
COUNTRIES: dict[str, tuple[str, ...]] = {
    "AD": ("andorra",), "AE": ("united arab emirates", "uae", "emirati"),
    "AF": ("afghanistan", "afghan"), "AG": ("antigua and barbuda",), "AL": ("albania", "albanian"),
    "AM": ("armenia", "armenian"), "AO": ("angola", "angolan"), "AR": ("argentina", "argentinian",
                                                                         "argentine"),
    "AT": ("austria", "austrian"), "AU": ("australia", "australian"), "AZ": ("azerbaijan",),
    "BA": ("bosnia and herzegovina", "bosnia"), "BB": ("barbados",), "BD": ("bangladesh",
                                                                            "bangladeshi"),
    "BE": ("belgium", "belgian"), "BF": ("burkina faso",), "BG": ("bulgaria", "bulgarian"),
    "BH": ("bahrain",), "BI": ("burundi",), "BJ": ("benin",), "BN": ("brunei",),
    "BO": ("bolivia", "bolivian"), "BR": ("brazil", "brazilian"), "BS": ("bahamas",),
    "BT": ("bhutan",), "BW": ("botswana",), "BY": ("belarus",), "BZ": ("belize",),
    "CA": ("canada", "canadian"), "CD": ("democratic republic of the congo", "dr congo"),
    "CF": ("central african republic",), "CG": ("republic of the congo",),
    "CH": ("switzerland", "swiss"), "CI": ("ivory coast", "cote d'ivoire"),
    "CL": ("chile", "chilean"), "CM": ("cameroon",), "CN": ("china", "chinese"),
    "CO": ("colombia", "colombian"), "CR": ("costa rica",), "CU": ("cuba", "cuban"),
    "CV": ("cape verde",), "CY": ("cyprus",), "CZ": ("czechia", "czech republic", "czech"),
    "DE": ("germany", "german"), "DJ": ("djibouti",), "DK": ("denmark", "danish"),
    "DM": ("dominica",), "DO": ("dominican republic",), "DZ": ("algeria", "algerian"),
    "EC": ("ecuador",), "EE": ("estonia", "estonian"), "EG": ("egypt", "egyptian"),
    "ER": ("eritrea",), "ES": ("spain", "spanish"), "ET": ("ethiopia", "ethiopian"),
    "FI": ("finland", "finnish"), "FJ": ("fiji",), "FR": ("france", "french"),
    "GA": ("gabon",), "GB": ("united kingdom", "uk", "great britain", "britain", "british"),
    "GD": ("grenada",), "GE": ("georgia",), "GH": ("ghana", "ghanaian"), "GM": ("gambia",),
    "GN": ("guinea",), "GQ": ("equatorial guinea",), "GR": ("greece", "greek"),
    "GT": ("guatemala",), "GW": ("guinea-bissau",), "GY": ("guyana",), "HK": ("hong kong",),
    "HN": ("honduras",), "HR": ("croatia", "croatian"), "HT": ("haiti",),
    "HU": ("hungary", "hungarian"), "ID": ("indonesia", "indonesian"),
    "IE": ("ireland", "irish"), "IL": ("israel", "israeli"), "IN": ("india", "indian"),
    "IQ": ("iraq",), "IR": ("iran",), "IS": ("iceland", "icelandic"), "IT": ("italy", "italian"),
    "JM": ("jamaica",), "JO": ("jordan",), "JP": ("japan", "japanese"), "KE": ("kenya", "kenyan"),
    "KG": ("kyrgyzstan",), "KH": ("cambodia",), "KM": ("comoros",),
    "KN": ("saint kitts and nevis",), "KP": ("north korea",), "KR": ("south korea", "korea",
                                                                     "korean"),
    "KW": ("kuwait",), "KZ": ("kazakhstan",), "LA": ("laos",), "LB": ("lebanon",),
    "LC": ("saint lucia",), "LI": ("liechtenstein",), "LK": ("sri lanka",), "LR": ("liberia",),
    "LS": ("lesotho",), "LT": ("lithuania", "lithuanian"), "LU": ("luxembourg",),
    "LV": ("latvia", "latvian"), "LY": ("libya",), "MA": ("morocco", "moroccan"),
    "MC": ("monaco",), "MD": ("moldova",), "ME": ("montenegro",), "MG": ("madagascar",),
    "MK": ("north macedonia",), "ML": ("mali",), "MM": ("myanmar",), "MN": ("mongolia",),
    "MO": ("macau", "macao"), "MR": ("mauritania",), "MT": ("malta",), "MU": ("mauritius",),
    "MV": ("maldives",), "MW": ("malawi",), "MX": ("mexico", "mexican"),
    "MY": ("malaysia", "malaysian"), "MZ": ("mozambique",), "NA": ("namibia",),
    "NE": ("niger",), "NG": ("nigeria", "nigerian"), "NI": ("nicaragua",),
    "NL": ("netherlands", "the netherlands", "holland", "dutch"), "NO": ("norway", "norwegian"),
    "NP": ("nepal",), "NZ": ("new zealand",), "OM": ("oman",), "PA": ("panama",),
    "PE": ("peru", "peruvian"), "PG": ("papua new guinea",), "PH": ("philippines", "filipino"),
    "PK": ("pakistan", "pakistani"), "PL": ("poland", "polish"), "PR": ("puerto rico",),
    "PT": ("portugal", "portuguese"), "PY": ("paraguay",), "QA": ("qatar",),
    "RO": ("romania", "romanian"), "RS": ("serbia", "serbian"), "RU": ("russia", "russian"),
    "RW": ("rwanda",), "SA": ("saudi arabia", "saudi"), "SC": ("seychelles",), "SD": ("sudan",),
    "SE": ("sweden", "swedish"), "SG": ("singapore",), "SI": ("slovenia",),
    "SK": ("slovakia",), "SL": ("sierra leone",), "SN": ("senegal",), "SO": ("somalia",),
    "SR": ("suriname",), "SV": ("el salvador",), "SY": ("syria",), "TH": ("thailand", "thai"),
    "TJ": ("tajikistan",), "TN": ("tunisia",), "TR": ("turkey", "turkiye", "turkish"),
    "TT": ("trinidad and tobago",), "TW": ("taiwan", "taiwanese"), "TZ": ("tanzania",),
    "UA": ("ukraine", "ukrainian"), "UG": ("uganda",),
    "US": ("united states", "usa", "united states of america", "america", "american"),
    "UY": ("uruguay",), "UZ": ("uzbekistan",), "VE": ("venezuela",), "VN": ("vietnam",
                                                                           "vietnamese"),
    "YE": ("yemen",), "ZA": ("south africa", "south african"), "ZM": ("zambia",),
    "ZW": ("zimbabwe",),
}

US_STATES: dict[str, str] = {
    "AL": "alabama", "AK": "alaska", "AZ": "arizona", "AR": "arkansas", "CA": "california",
    "CO": "colorado", "CT": "connecticut", "DE": "delaware", "DC": "district of columbia",
    "FL": "florida", "GA": "georgia", "HI": "hawaii", "ID": "idaho", "IL": "illinois",
    "IN": "indiana", "IA": "iowa", "KS": "kansas", "KY": "kentucky", "LA": "louisiana",
    "ME": "maine", "MD": "maryland", "MA": "massachusetts", "MI": "michigan", "MN": "minnesota",
    "MS": "mississippi", "MO": "missouri", "MT": "montana", "NE": "nebraska", "NV": "nevada",
    "NH": "new hampshire", "NJ": "new jersey", "NM": "new mexico", "NY": "new york",
    "NC": "north carolina", "ND": "north dakota", "OH": "ohio", "OK": "oklahoma",
    "OR": "oregon", "PA": "pennsylvania", "RI": "rhode island", "SC": "south carolina",
    "SD": "south dakota", "TN": "tennessee", "TX": "texas", "UT": "utah", "VT": "vermont",
    "VA": "virginia", "WA": "washington", "WV": "west virginia", "WI": "wisconsin",
    "WY": "wyoming",
}

# "us-ca" (a subdivision code, ISO 3166-2 style) or a bare "CA"
_STATE_CODE = re.compile(r"(?:us-)?([a-z]{2})", flags=re.I)


def place_names(dimension_words: set[str], value: str) -> tuple[str, ...]:
    """What people call the place a code names, for a dimension whose own words say what kind
    of place it holds (country, or state); nothing for any other dimension or value."""
    if dimension_words & {"country", "countries", "nation"} and value.upper() in COUNTRIES \
            and len(value) == 2:
        return COUNTRIES[value.upper()]
    state = _STATE_CODE.fullmatch(value)
    if dimension_words & {"state", "states"} and state is not None and \
            state[1].upper() in US_STATES:
        return (US_STATES[state[1].upper()],)
    return ()
