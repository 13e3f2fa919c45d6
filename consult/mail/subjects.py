"""What a subject says of a session's time: its local day and hour in the reader's zone."""

from .. import formatting


def local_when(moment, zone, lang):
    """ "jeudi 3 décembre à 14 h 00", "Thursday, December 3 at 2:00 p.m.": no year, no zone."""
    day = formatting.date(moment, lang, formatting.DAY, zone)
    hour = formatting.time(moment, lang, zone)
    joined = formatting.AT_TIME["fr" if formatting.locale_for(lang).startswith("fr") else "en"]
    return joined.replace("'", "").format(hour, day)
