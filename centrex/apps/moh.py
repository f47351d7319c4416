"""Music on hold: a generated default class and the tenant's own uploads.

Why generate: nothing may be downloaded and bundled music has licences; a soft chord
progression (I–vi–IV–V in C major, each chord an arpeggio of sines with a smooth envelope and a
quiet sustained root) is pleasant enough, loops without a click (it starts and ends in silence)
and is written once to `<data dir>/moh/default.wav` on first use.

Lookup for the call layer: `moh_file(scope, store, data_dir, media_id)` → the given file (a
queue's own music), else the tenant's most recent MOH upload, else the default file.
"""

from __future__ import annotations

import math
from pathlib import Path

from centrex.data.models import MediaFile, MediaKind
from centrex.data.tenancy import TenantScope
from centrex.media.audio import write_wav
from centrex.media.pcm import SAMPLE_RATE, amplitude_for_dbm0, from_samples
from centrex.provisioning.storage import MediaStore

# (root, third, fifth) in Hz: C major, A minor, F major, G major.
CHORDS: tuple[tuple[float, float, float], ...] = (
    (261.63, 329.63, 392.00),
    (220.00, 261.63, 329.63),
    (174.61, 220.00, 261.63),
    (196.00, 246.94, 293.66),
)
NOTE_S = 0.5
CHOSEN_KINDS = (MediaKind.MOH, MediaKind.PROMPT)  # what a queue may name as its music
LEVEL_DBM0 = -22.0


def default_moh_pcm(loops: int = 4) -> bytes:
    """pcm16 of the default melody (8 kHz mono, about 8 s per loop). Pure, deterministic."""
    amp = amplitude_for_dbm0(LEVEL_DBM0)
    note_len = int(NOTE_S * SAMPLE_RATE)
    out: list[float] = []
    pattern = (0, 1, 2, 1)  # root, third, fifth, third
    for _ in range(loops):
        for chord in CHORDS:
            for index in pattern:
                freq = chord[index]
                bass = chord[0] / 2
                for n in range(note_len):
                    t = n / SAMPLE_RATE
                    # raised-cosine envelope: no clicks between notes
                    env = math.sin(math.pi * n / note_len) ** 2
                    sample = env * math.sin(2 * math.pi * freq * t)
                    sample += 0.3 * math.sin(2 * math.pi * bass * t) * env
                    out.append(amp * sample / 1.3)
    return from_samples(round(x) for x in out)


def default_moh(data_dir: Path) -> Path:
    """The default MOH file, generated on first use."""
    path = data_dir / "moh" / "default.wav"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        write_wav(tmp, default_moh_pcm())
        tmp.replace(path)
    return path


async def moh_file(
    scope: TenantScope, store: MediaStore, data_dir: Path, media_id: int | None = None
) -> Path:
    """The MOH to play for this tenant: a given upload (a queue's own music: kind moh or
    prompt, of this tenant), else the latest MOH upload, else the default."""
    chosen = None
    if media_id is not None:
        chosen = await scope.first(
            MediaFile, MediaFile.id == media_id, MediaFile.kind.in_(CHOSEN_KINDS)
        )
    if chosen is None:
        rows = await scope.list(
            MediaFile, MediaFile.kind == MediaKind.MOH, order_by=MediaFile.id.desc(), limit=1
        )
        chosen = rows[0] if rows else None
    if chosen is not None:
        return store.resolve(chosen.path)
    return default_moh(data_dir)
