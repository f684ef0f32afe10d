"""Russian → Latin transliteration for logins (ГОСТ Р 52535.1-2006 style, simplified)."""

_TABLE = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z", "и": "i",
    "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "",
    "э": "e", "ю": "iu", "я": "ia",
}


def translit(text: str) -> str:
    out = []
    for ch in text.lower():
        if ch in _TABLE:
            out.append(_TABLE[ch])
        elif ch.isascii() and ch.isalnum():
            out.append(ch)
    return "".join(out)
