"""The prompt catalog: every sentence Centrex says, in German, French, English and Italian (pure).

Why a catalog of keys rather than files: prompts are generated locally with a Debian TTS engine
(espeak-ng) at install or first use, so the texts are the source and the WAV files a cache. A key
names a sentence independently of the language; the tenant's (or the caller's chosen) language
picks the text. Numbers are keys too (`number.42`): espeak-ng reads digits in the voice's own
language, so "42" becomes "zweiundvierzig", "quarante-deux", "forty-two", "quarantadue".

Sentences that need a number ("you have N new messages", the speaking clock) are built as key
sequences by the small functions at the end, so word order can differ per language.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

LANGUAGES: tuple[str, ...] = ("de", "fr", "en", "it")
DEFAULT_LANGUAGE = "en"

# espeak-ng voice per language (Debian 12 espeak-ng-data; no MBROLA voices needed).
VOICES: Mapping[str, str] = MappingProxyType({"de": "de", "fr": "fr-fr", "en": "en-gb", "it": "it"})

_NUMBER_KEY = re.compile(r"number\.(0|[1-9][0-9]{0,3})")

_TEXTS: dict[str, tuple[str, str, str, str]] = {
    # key: (de, fr, en, it)
    "vm.greeting_default": (
        "Die gewünschte Person ist im Moment nicht erreichbar.",
        "Votre correspondant n'est pas disponible pour le moment.",
        "The person you are calling is not available.",
        "La persona chiamata non è al momento raggiungibile.",
    ),
    "vm.greeting_busy": (
        "Die gewünschte Person telefoniert gerade.",
        "Votre correspondant est déjà en ligne.",
        "The person you are calling is on the phone.",
        "La persona chiamata è occupata in un'altra conversazione.",
    ),
    "vm.leave_message": (
        "Bitte hinterlassen Sie eine Nachricht nach dem Signalton.",
        "Veuillez laisser un message après le bip sonore.",
        "Please leave a message after the tone.",
        "Si prega di lasciare un messaggio dopo il segnale acustico.",
    ),
    "vm.you_have": ("Sie haben", "Vous avez", "You have", "Avete"),
    "vm.new_message": ("neue Nachricht.", "nouveau message.", "new message.", "nuovo messaggio."),
    "vm.new_messages": (
        "neue Nachrichten.",
        "nouveaux messages.",
        "new messages.",
        "nuovi messaggi.",
    ),
    "vm.no_new_messages": (
        "Sie haben keine neuen Nachrichten.",
        "Vous n'avez pas de nouveau message.",
        "You have no new messages.",
        "Non avete nuovi messaggi.",
    ),
    "vm.enter_mailbox": (
        "Bitte geben Sie Ihre Mailboxnummer ein, gefolgt von der Rautetaste.",
        "Veuillez saisir votre numéro de messagerie, suivi de la touche dièse.",
        "Please enter your mailbox number, followed by the hash key.",
        "Inserite il numero della casella vocale, seguito dal tasto cancelletto.",
    ),
    "vm.enter_pin": (
        "Bitte geben Sie Ihre PIN ein, gefolgt von der Rautetaste.",
        "Veuillez saisir votre code, suivi de la touche dièse.",
        "Please enter your PIN, followed by the hash key.",
        "Inserite il vostro codice PIN, seguito dal tasto cancelletto.",
    ),
    "vm.wrong_pin": (
        "Die PIN ist falsch.",
        "Le code est incorrect.",
        "That PIN is incorrect.",
        "Il codice PIN non è corretto.",
    ),
    "vm.main_menu": (
        "Um Ihre Nachrichten abzuhören, drücken Sie die 1. Für Ihre Ansagen die 2. "
        "Zum Beenden die Rautetaste.",
        "Pour écouter vos messages, tapez 1. Pour vos annonces, tapez 2. "
        "Pour terminer, tapez dièse.",
        "To listen to your messages, press 1. For your greetings, press 2. "
        "To finish, press the hash key.",
        "Per ascoltare i messaggi, premete 1. Per i vostri annunci, premete 2. "
        "Per terminare, premete cancelletto.",
    ),
    "vm.message_menu": (
        "Zum Wiederholen drücken Sie die 1, zum Löschen die 7, zum Speichern die 9, "
        "für die nächste Nachricht die Rautetaste.",
        "Pour réécouter, tapez 1, pour effacer, tapez 7, pour conserver, tapez 9, "
        "pour le message suivant, tapez dièse.",
        "To replay, press 1. To delete, press 7. To save, press 9. "
        "For the next message, press the hash key.",
        "Per riascoltare premete 1, per cancellare premete 7, per salvare premete 9, "
        "per il messaggio successivo premete cancelletto.",
    ),
    "vm.message_deleted": (
        "Nachricht gelöscht.",
        "Message effacé.",
        "Message deleted.",
        "Messaggio cancellato.",
    ),
    "vm.message_saved": (
        "Nachricht gespeichert.",
        "Message conservé.",
        "Message saved.",
        "Messaggio salvato.",
    ),
    "vm.no_more_messages": (
        "Keine weiteren Nachrichten.",
        "Il n'y a plus de message.",
        "There are no more messages.",
        "Non ci sono altri messaggi.",
    ),
    "vm.greeting_menu": (
        "Für die Ansage bei besetzt drücken Sie die 1, bei keiner Antwort die 2, "
        "bei Abwesenheit die 3. Zurück mit der Sterntaste.",
        "Pour l'annonce occupé, tapez 1, pour l'annonce sans réponse, tapez 2, "
        "pour l'annonce d'absence, tapez 3. Pour revenir, tapez étoile.",
        "For your busy greeting, press 1. For your no answer greeting, press 2. "
        "For your unavailable greeting, press 3. To go back, press star.",
        "Per l'annuncio occupato premete 1, per nessuna risposta premete 2, "
        "per l'annuncio di assenza premete 3. Per tornare indietro premete asterisco.",
    ),
    "vm.record_greeting": (
        "Sprechen Sie Ihre Ansage nach dem Signalton und drücken Sie dann die Rautetaste.",
        "Enregistrez votre annonce après le bip, puis tapez dièse.",
        "Record your greeting after the tone, then press the hash key.",
        "Registrate il vostro annuncio dopo il segnale, poi premete cancelletto.",
    ),
    "vm.greeting_saved": (
        "Ihre Ansage wurde gespeichert.",
        "Votre annonce a été enregistrée.",
        "Your greeting has been saved.",
        "Il vostro annuncio è stato salvato.",
    ),
    "vm.mailbox_full": (
        "Diese Mailbox ist voll. Es kann keine Nachricht hinterlassen werden.",
        "Cette messagerie est pleine. Vous ne pouvez pas laisser de message.",
        "This mailbox is full. No message can be left.",
        "Questa casella vocale è piena. Non è possibile lasciare un messaggio.",
    ),
    "vm.mailbox_unavailable": (
        "Diese Mailbox ist nicht verfügbar.",
        "Cette messagerie n'est pas disponible.",
        "This mailbox is not available.",
        "Questa casella vocale non è disponibile.",
    ),
    "common.invalid": (
        "Ungültige Auswahl.",
        "Choix invalide.",
        "Invalid choice.",
        "Scelta non valida.",
    ),
    "common.goodbye": ("Auf Wiederhören.", "Au revoir.", "Goodbye.", "Arrivederci."),
    "common.recording_notice": (
        "Dieses Gespräch kann aufgezeichnet werden.",
        "Cet appel peut être enregistré.",
        "This call may be recorded.",
        "Questa chiamata potrebbe essere registrata.",
    ),
    "common.transfer": (
        "Bitte warten, Sie werden verbunden.",
        "Veuillez patienter, nous transférons votre appel.",
        "Please hold, your call is being transferred.",
        "Attendere prego, la chiamata viene trasferita.",
    ),
    "menu.welcome": ("Willkommen.", "Bienvenue.", "Welcome.", "Benvenuti."),
    "menu.make_choice": (
        "Bitte treffen Sie Ihre Wahl.",
        "Veuillez faire votre choix.",
        "Please make your choice.",
        "Prego, effettuate la vostra scelta.",
    ),
    "menu.closed": (
        "Wir sind im Moment geschlossen. Bitte rufen Sie während unserer Öffnungszeiten an.",
        "Nous sommes actuellement fermés. Merci de rappeler pendant nos heures d'ouverture.",
        "We are currently closed. Please call again during our opening hours.",
        "Siamo attualmente chiusi. Vi preghiamo di richiamare durante l'orario di apertura.",
    ),
    "menu.holiday": (
        "Heute ist ein Feiertag, wir sind geschlossen.",
        "Nous sommes fermés aujourd'hui, jour férié.",
        "We are closed today for a public holiday.",
        "Oggi è un giorno festivo, siamo chiusi.",
    ),
    "menu.choose_language": (
        "Für Deutsch drücken Sie die 1.",
        "Pour le français, tapez 2.",
        "For English, press 3.",
        "Per l'italiano, premete 4.",
    ),
    "echo.intro": (
        "Echotest. Sprechen Sie nach dem Signalton, Sie hören sich selbst.",
        "Test d'écho. Parlez après le bip, vous entendrez votre voix.",
        "Echo test. Speak after the tone and you will hear yourself.",
        "Test dell'eco. Parlate dopo il segnale e sentirete la vostra voce.",
    ),
    "clock.intro": ("Es ist", "Il est", "The time is", "Sono le ore"),
    "clock.hours": ("Uhr", "heures", "hours", "e"),
    "clock.minutes": ("Minuten.", "minutes.", "minutes.", "minuti."),
    "clock.exactly": ("genau.", "pile.", "exactly.", "in punto."),
    # ACD queues (apps/queue)
    "queue.position": (
        "Sie sind Anrufer Nummer",
        "Vous êtes l'appelant numéro",
        "You are caller number",
        "Siete il chiamante numero",
    ),
    "queue.wait": (
        "Ihre voraussichtliche Wartezeit beträgt etwa",
        "Votre temps d'attente estimé est d'environ",
        "Your estimated waiting time is about",
        "Il tempo di attesa stimato è di circa",
    ),
    "queue.callback_offer": (
        "Drücken Sie die 1, um zurückgerufen zu werden. Sie behalten Ihren Platz in der "
        "Warteschlange.",
        "Tapez 1 pour être rappelé. Vous gardez votre place dans la file d'attente.",
        "Press 1 to be called back. You keep your place in the queue.",
        "Premete 1 per essere richiamati. Mantenete il vostro posto in coda.",
    ),
    "queue.callback_confirm": (
        "Wir rufen Sie zurück unter der Nummer",
        "Nous vous rappellerons au numéro",
        "We will call you back at",
        "Vi richiameremo al numero",
    ),
    "queue.callback_goodbye": (
        "Sie können jetzt auflegen. Auf Wiederhören.",
        "Vous pouvez raccrocher. Au revoir.",
        "You may hang up now. Goodbye.",
        "Potete riagganciare. Arrivederci.",
    ),
    "queue.callback_unavailable": (
        "Ein Rückruf ist leider nicht möglich, Ihre Nummer ist unbekannt. Bitte bleiben Sie "
        "in der Leitung.",
        "Le rappel n'est pas possible, votre numéro est inconnu. Veuillez patienter.",
        "Sorry, a callback is not available: your number is unknown. Please stay on the line.",
        "La richiamata non è possibile, il vostro numero è sconosciuto. Restate in linea.",
    ),
    "queue.callback_hello": (
        "Hier ist Ihr Rückruf. Sie werden mit dem nächsten Mitarbeiter verbunden.",
        "Voici votre rappel. Nous vous mettons en relation avec un conseiller.",
        "This is your callback. You are being connected to an agent.",
        "Questa è la vostra richiamata. Vi mettiamo in contatto con un operatore.",
    ),
    # conference rooms (apps/conference)
    "conf.enter_pin": (
        "Bitte geben Sie die PIN der Konferenz ein, gefolgt von der Raute-Taste.",
        "Veuillez saisir le code de la conférence, suivi de la touche dièse.",
        "Please enter the conference PIN, followed by the hash key.",
        "Inserite il PIN della conferenza, seguito dal tasto cancelletto.",
    ),
    "conf.wrong_pin": (
        "Diese PIN ist nicht korrekt.",
        "Ce code n'est pas correct.",
        "That PIN is not correct.",
        "Questo PIN non è corretto.",
    ),
    "conf.only_participant": (
        "Sie sind der einzige Teilnehmer dieser Konferenz.",
        "Vous êtes le seul participant à cette conférence.",
        "You are the only participant in this conference.",
        "Siete l'unico partecipante a questa conferenza.",
    ),
    "conf.wait_moderator": (
        "Bitte warten Sie, die Konferenz beginnt, sobald der Moderator da ist.",
        "Veuillez patienter, la conférence commencera à l'arrivée du modérateur.",
        "Please wait, the conference will begin when the moderator joins.",
        "Attendete, la conferenza inizierà quando arriverà il moderatore.",
    ),
    "conf.full": (
        "Diese Konferenz ist voll. Bitte versuchen Sie es später noch einmal.",
        "Cette conférence est complète. Veuillez réessayer plus tard.",
        "This conference is full. Please try again later.",
        "Questa conferenza è al completo. Riprovate più tardi.",
    ),
}

CATALOG: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        key: MappingProxyType(dict(zip(LANGUAGES, texts, strict=True)))
        for key, texts in _TEXTS.items()
    }
)


def normalise_language(language: str | None) -> str:
    """One of `LANGUAGES` ("de-CH" → "de"); anything unknown falls back to English."""
    if not language:
        return DEFAULT_LANGUAGE
    base = language.strip().lower().replace("_", "-").split("-")[0]
    return base if base in LANGUAGES else DEFAULT_LANGUAGE


def is_known_key(key: str) -> bool:
    """True for a catalog sentence or a number key (`number.0` … `number.9999`)."""
    return key in CATALOG or _NUMBER_KEY.fullmatch(key) is not None


def prompt_text(key: str, language: str) -> str:
    """The text of `key` in `language`; raises KeyError for an unknown key."""
    lang = normalise_language(language)
    if _NUMBER_KEY.fullmatch(key):
        return key.split(".", 1)[1]
    return CATALOG[key][lang]


def number_key(value: int) -> str:
    """The key that says `value` (0 … 9999)."""
    if not 0 <= value <= 9999:
        raise ValueError(f"cannot say {value}: numbers go from 0 to 9999")
    return f"number.{value}"


def new_messages_phrase(count: int) -> list[str]:
    """Keys for "you have N new messages" (singular for one, a dedicated sentence for none)."""
    if count <= 0:
        return ["vm.no_new_messages"]
    noun = "vm.new_message" if count == 1 else "vm.new_messages"
    return ["vm.you_have", number_key(count), noun]


def clock_phrase(language: str, hour: int, minute: int) -> list[str]:
    """Keys for the speaking clock in the 24-hour style each language uses on the telephone.

    de "Es ist 14 Uhr 5", fr "Il est 14 heures 5", en "The time is 14 hours 5 minutes",
    it "Sono le ore 14 e 5 minuti"; on the full hour the minutes become "exactly".
    """
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise ValueError(f"not a time of day: {hour}:{minute}")
    lang = normalise_language(language)
    keys = ["clock.intro", number_key(hour)]
    if minute == 0:
        if lang in ("de", "fr"):
            keys.append("clock.hours")
        keys.append("clock.exactly")
        return keys
    keys += ["clock.hours", number_key(minute)]
    if lang in ("en", "it"):
        keys.append("clock.minutes")
    return keys
