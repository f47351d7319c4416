"""The safe-harbour message: what a person hears when the dialer reached them and no agent is
free (a "drop").

Why: outbound-calling rules (the US TSR's safe harbour, Ofcom's abandoned-call policy, the
French and Swiss codes of conduct) let a predictive dialer abandon a small share of answered
calls only if the person hears, within two seconds, who called and how not to be called again,
instead of silence. The text names the tenant and the number to call back to opt out (the
campaign's caller ID for this call); it is spoken in the tenant's language with the same
generator as every other prompt (`apps/prompts`: espeak-ng + sox, cached by its text).
"""

from __future__ import annotations

from pathlib import Path

from centrex.apps.prompts.library import PromptLibrary

TEXTS = {
    "en": "Hello, this call was made by {tenant}. We are sorry, nobody is free to talk to you "
    "right now. To not be called again, call {number} and ask to be put on our do not call "
    "list. Goodbye.",
    "fr": "Bonjour, cet appel a été passé par {tenant}. Nous sommes désolés, personne n'est "
    "disponible pour le moment. Pour ne plus être appelé, appelez le {number} et demandez "
    "votre inscription sur notre liste d'opposition. Au revoir.",
    "de": "Guten Tag, dieser Anruf kam von {tenant}. Leider ist gerade niemand frei. Wenn Sie "
    "nicht mehr angerufen werden möchten, rufen Sie {number} an und lassen Sie sich auf unsere "
    "Sperrliste setzen. Auf Wiederhören.",
    "it": "Buongiorno, questa chiamata è stata fatta da {tenant}. Siamo spiacenti, nessuno è "
    "disponibile in questo momento. Per non essere più chiamato, chiami il {number} e chieda "
    "di essere inserito nella nostra lista di esclusione. Arrivederci.",
}


def spoken_number(e164: str | None) -> str:
    """Digits read one by one ("+41 21…" → "4 1 2 1 …"): what a listener can write down."""
    if not e164:
        return ""
    return " ".join(d for d in e164 if d.isdigit())


def safe_harbour_text(language: str, tenant: str, number: str | None) -> str:
    """The message in `language` (English when the tenant's language has no text)."""
    template = TEXTS.get(language, TEXTS["en"])
    return template.format(tenant=tenant, number=spoken_number(number) or tenant)


async def safe_harbour_prompt(
    prompts: PromptLibrary, language: str, tenant: str, number: str | None
) -> Path:
    """The WAV file of the message (generated once per text, then cached)."""
    return await prompts.speak(safe_harbour_text(language, tenant, number), language)
